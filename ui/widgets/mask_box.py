"""Where to dream: inside the selection (or outside it), with a soft edge.

These options belong to one run: every run starts with the painter's selection used as it is
(not inverted, not feathered), so a selection is never ignored or changed because of an
earlier run. They are neither remembered nor part of presets.
"""
from __future__ import annotations

from typing import Any, Optional

from ..qt import QCheckBox, QFormLayout, QSpinBox, QWidget


class MaskBox(QWidget):
    """Selection options; all disabled when the editor passed no selection."""

    def __init__(self, has_mask: bool, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.use = QCheckBox("&Use selection", objectName="useSelection",
                             toolTip="Dream only inside the selection" if has_mask else
                             "There is no selection: the whole layer dreams")
        self.invert = QCheckBox("&Invert", objectName="invert", toolTip="Dream outside the selection instead")
        self.feather = QSpinBox(objectName="feather", toolTip="Soften the selection edge by this many pixels")
        self.feather.setRange(0, 500)
        self.feather.setSuffix(" px")
        self.use.setChecked(has_mask)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.use)
        form.addRow(self.invert)
        form.addRow("&Feather:", self.feather)
        self.use.toggled.connect(self._sync)
        self.use.setEnabled(has_mask)
        self._has_mask = has_mask
        self._sync()

    def _sync(self) -> None:
        on = self._has_mask and self.use.isChecked()
        self.invert.setEnabled(on)
        self.feather.setEnabled(on)

    def active(self) -> bool:
        return self._has_mask and self.use.isChecked()

    def values(self) -> dict[str, Any]:
        return {"use_selection": self.use.isChecked(), "invert": self.invert.isChecked(),
                "feather": self.feather.value()}
