"""How hard and how widely to dream: steps, pattern size, step size, jitter and the seed."""
from __future__ import annotations

import random
from typing import Any, Optional

from ..qt import (QColor, QDoubleSpinBox, QFormLayout, QHBoxLayout, QIcon, QLabel, QPainter, QPixmap, QRectF, QSpinBox,
                  QToolButton, QWidget, Qt)

from dreamlayer.settings import LIMITS, DreamSettings

SEED_MAX = min(2**31 - 1, int(LIMITS["seed"][1]))  # a QSpinBox holds 32 bits
ICON_PX = 64  # drawn large; Qt scales it down crisply on every screen density


def die_icon(ink: QColor) -> QIcon:
    """A die showing five, drawn rather than taken from a font that may lack the glyph."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    pen = painter.pen()
    pen.setColor(ink)
    pen.setWidthF(ICON_PX / 14)
    painter.setPen(pen)
    edge = ICON_PX / 10
    painter.drawRoundedRect(QRectF(edge, edge, ICON_PX - 2 * edge, ICON_PX - 2 * edge), ICON_PX / 6, ICON_PX / 6)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(ink)
    radius = ICON_PX / 14
    for fx, fy in ((0.3, 0.3), (0.7, 0.3), (0.5, 0.5), (0.3, 0.7), (0.7, 0.7)):
        painter.drawEllipse(QRectF(fx * ICON_PX - radius, fy * ICON_PX - radius, 2 * radius, 2 * radius))
    painter.end()
    return QIcon(pixmap)


def _spin(name: str, field: str, tip: str, high: int = 0) -> QSpinBox:
    """A whole-number field with the engine's limits (dreamlayer.settings.LIMITS)."""
    spin = QSpinBox(objectName=name, toolTip=tip)
    low, top = LIMITS[field]
    spin.setRange(int(low), int(high or top))
    return spin


def _double(name: str, field: str, step: float, decimals: int, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(objectName=name, toolTip=tip)
    spin.setDecimals(decimals)
    spin.setRange(*LIMITS[field])
    spin.setSingleStep(step)
    return spin


class StrengthBox(QWidget):
    """The numeric dream settings as a form; values in and out as DreamSettings fields."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.steps = _spin("steps", "steps", "Strength: gradient steps per octave. More steps, stronger dream.")
        self.pattern_size = _double("patternSize", "pattern_size", 0.25, 2,
                                    "How large the dream's shapes are relative to the picture; the same on "
                                    "the preview and on the full picture, whatever its size")
        self.octave_scale = _double("octaveScale", "octave_scale", 0.05, 2,
                                    "Size ratio between one octave and the next")
        self.step_size = _double("stepSize", "step_size", 0.001, 4,
                                 "How far each step moves the pixels (in 0..1 colour units)")
        self.jitter = _spin("jitter", "jitter", "Random shift in pixels before each step; hides tile seams "
                                              "and grid artefacts")
        self.seed = _spin("seed", "seed", "The same seed and settings give the same picture again", SEED_MAX)
        self.dice = QToolButton(objectName="dice", toolTip="Pick a random seed")
        self.dice.setIcon(die_icon(self.palette().buttonText().color()))
        self.dice.setAccessibleName("Random seed")
        self.dice.clicked.connect(self.roll)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.dice)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Strength (steps):", self.steps)
        form.addRow("Patter&n size:", self.pattern_size)
        form.addRow("Scale &between octaves:", self.octave_scale)
        form.addRow("Step si&ze:", self.step_size)
        form.addRow("&Jitter (px):", self.jitter)
        seed_label = QLabel("S&eed:")
        seed_label.setBuddy(self.seed)  # the row is a layout: point the mnemonic at the spin box
        form.addRow(seed_label, seed_row)
        self.set_values(DreamSettings().to_dict())

    def roll(self) -> None:
        self.seed.setValue(random.randint(0, SEED_MAX))

    def set_values(self, values: dict[str, Any]) -> None:
        """Take whichever of the fields ``values`` has; the rest stay as they are."""
        for key, widget in self._fields().items():
            if values.get(key) is not None:
                widget.setValue(values[key])

    def values(self) -> dict[str, Any]:
        return {key: widget.value() for key, widget in self._fields().items()}

    def _fields(self) -> dict[str, Any]:
        return {"steps": self.steps, "pattern_size": self.pattern_size, "octave_scale": self.octave_scale,
                "step_size": self.step_size, "jitter": self.jitter, "seed": self.seed}
