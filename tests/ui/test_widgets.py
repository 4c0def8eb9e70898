"""The dialog's small widgets on their own."""
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QImage

from dreamlayer.settings import LIMITS, DreamSettings
from dreamlayer.ui.widgets.compare import ComparePane
from dreamlayer.ui.widgets.mask_box import MaskBox
from dreamlayer.ui.widgets.progress import ProgressRow, size_text, time_left_text
from dreamlayer.ui.widgets.strength_box import StrengthBox


def _solid(colour: str) -> QImage:
    image = QImage(40, 20, QImage.Format_RGBA8888)
    image.fill(QColor(colour))
    return image


def _pixel(widget, x: int, y: int) -> QColor:
    return QColor(widget.grab().toImage().pixel(x, y))


def test_compare_pane_shows_after_and_splits_before_on_the_left(qtbot):
    pane = ComparePane()
    qtbot.addWidget(pane)
    pane.resize(400, 200)
    pane.set_before(_solid("red"))
    pane.set_after(_solid("blue"))
    assert _pixel(pane, 100, 150) == QColor("blue")
    pane.set_comparing(True)
    assert _pixel(pane, 100, 150) == QColor("red") and _pixel(pane, 300, 150) == QColor("blue")
    qtbot.mouseClick(pane, Qt.LeftButton, pos=pane.rect().center() - pane.rect().center() / 2)
    assert pane.split < 0.5
    split = pane.split
    qtbot.keyClick(pane, Qt.Key_Right)
    assert pane.split > split


def test_compare_pane_before_anything_dreamed_shows_the_original(qtbot):
    pane = ComparePane()
    qtbot.addWidget(pane)
    pane.resize(200, 100)
    pane.set_before(_solid("green"))
    assert _pixel(pane, 100, 50) == QColor("green")


def test_time_left_and_sizes_read_naturally():
    assert time_left_text(None) == "Estimating time left..."
    assert time_left_text(0.2) == "Almost done"
    assert time_left_text(12.4) == "About 12 s left"
    assert time_left_text(600) == "About 10 min left"
    assert size_text(102_530_333) == "103 MB" and size_text(2_500_000_000) == "2.5 GB"


def test_progress_row_shows_steps_and_downloads(qtbot):
    row = ProgressRow()
    qtbot.addWidget(row)
    row.begin("Dreaming a preview...")
    assert row.stop.isEnabled() and row.bar.maximum() == 0
    row.step(3, 12, 40.0)
    assert (row.bar.value(), row.bar.maximum(), row.time_left.text()) == (3, 12, "About 40 s left")
    row.download("vgg16", 50_000_000, 100_000_000)
    assert row.bar.value() == 500 and "50 MB of 100 MB" in row.bar.format() and not row.stop.isEnabled()


def test_strength_box_starts_from_the_settings_defaults_and_rolls_seeds(qtbot):
    box = StrengthBox()
    qtbot.addWidget(box)
    defaults = DreamSettings()
    assert box.values() == {"steps": defaults.steps, "pattern_size": defaults.pattern_size,
                            "octave_scale": defaults.octave_scale, "step_size": defaults.step_size,
                            "jitter": defaults.jitter, "seed": defaults.seed}
    box.set_values({"steps": 3, "unknown": 1})
    assert box.values()["steps"] == 3
    seeds = set()
    for _ in range(5):
        qtbot.mouseClick(box.dice, Qt.LeftButton)
        seeds.add(box.seed.value())
    assert len(seeds) > 1


def test_mask_options_are_off_without_a_selection(qtbot):
    without, with_mask = MaskBox(False), MaskBox(True)
    qtbot.addWidget(without)
    qtbot.addWidget(with_mask)
    assert not without.active() and not without.use.isEnabled() and not without.feather.isEnabled()
    assert with_mask.active() and with_mask.feather.isEnabled()
    with_mask.use.setChecked(False)
    assert not with_mask.active() and not with_mask.invert.isEnabled()


def test_strength_box_offers_exactly_the_engine_s_limits(qtbot):
    box = StrengthBox()
    qtbot.addWidget(box)
    for name in ("steps", "pattern_size", "octave_scale", "step_size", "jitter"):
        widget = getattr(box, name)
        assert (widget.minimum(), widget.maximum()) == pytest.approx(LIMITS[name]), name
    assert box.seed.minimum() == LIMITS["seed"][0] and box.seed.maximum() <= LIMITS["seed"][1]
