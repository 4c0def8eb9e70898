"""The Dream dialog driven like a painter would, against the real engine and the default model."""
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLabel, QLineEdit,
                             QWidget)

from dreamlayer.objective import class_logit
from dreamlayer.pixels import Bounds, Mask
from dreamlayer.settings import DEFAULT_MODEL, DreamSettings
from dreamlayer.ui import session
from dreamlayer.ui.dialog import DreamDialog
from dreamlayer.ui.presets import PresetStore
from dreamlayer.ui.qimage import from_qimage
from uihelpers import half_mask, photo, wait_for

NAMES = ["model", "download", "layer", "mode", "channel", "classLabel", "guide", "guideBrowse", "steps", "patternSize",
         "octaveScale", "stepSize", "jitter", "seed", "dice", "useSelection", "invert", "feather", "presets",
         "savePreset", "deletePreset", "previewPane", "compare", "progressBar", "timeLeft", "stop", "status",
         "preview", "apply", "cancel", "restart"]


@pytest.fixture
def make_dialog(qtbot, settings_store, preset_store):
    made = []

    def make(image, mask=None, client=None, engine=None, **described):
        dialog = DreamDialog(client or engine, image, mask, preset_store, settings_store, **described)
        qtbot.addWidget(dialog)
        dialog.show()
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        if dialog.isVisible():
            dialog.reject()


def _ready(dialog):
    wait_for(lambda: dialog.preview_button.isEnabled())


def _quick(dialog, steps=2):
    dialog.strength.steps.setValue(steps)
    dialog.strength.pattern_size.setValue(4.0)  # the coarsest octave at 93 px: quick


def _child(dialog, name):
    widget = dialog.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def test_every_control_has_a_name_a_tooltip_and_keyboard_focus(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    for name in NAMES:
        widget = _child(dialog, name)
        assert widget.toolTip(), f"{name} has no tooltip"
    inputs = [w for w in dialog.findChildren(QWidget)
              if isinstance(w, (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit))
              and w.objectName() and not w.objectName().startswith("qt_")]
    assert len(inputs) >= 20
    for widget in inputs:
        assert widget.toolTip(), f"{widget.objectName()} has no tooltip"
        assert widget.focusPolicy() & Qt.TabFocus, f"{widget.objectName()} cannot be reached with Tab"


def test_mnemonics_are_unique_and_labels_point_at_their_fields(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    keys = []
    for widget in dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton):
        match = re.search(r"&(\w)", widget.text())
        if match:
            keys.append(match.group(1).lower())
            if isinstance(widget, QLabel):
                assert widget.buddy() is not None, widget.text()
    assert len(keys) >= 15 and len(keys) == len(set(keys)), sorted(keys)


def test_lists_come_from_the_engine_low_to_high_with_hints(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    assert dialog.model_box.current_model() == DEFAULT_MODEL and dialog.model_box.installed()
    combo = dialog.objective.layer
    titles = [combo.itemText(i) for i in range(combo.count())]
    assert titles[0].startswith(f"{combo.itemData(0)} (1 of ") and "default" in combo.currentText()
    assert all(":" in t and "(" in t for t in titles)
    for index, title in enumerate(titles):  # the real name shows even where the combo cuts the title off
        assert title.index(combo.itemData(index)) + len(combo.itemData(index)) <= combo.minimumContentsLength()
    not_installed = [dialog.model_box.combo.itemData(i) for i in range(dialog.model_box.combo.count())
                     if "not downloaded" in dialog.model_box.combo.itemText(i)]
    if not_installed:
        dialog.model_box.select(not_installed[0])
        wait_for(lambda: dialog.objective.layer.count() > 0 and dialog._layers_model == not_installed[0])
        assert dialog.model_box.download.isEnabled() and not dialog.preview_button.isEnabled()


def test_preview_streams_live_images_then_apply_returns_the_full_picture(make_dialog, engine):
    image, mask = photo(700, 300), half_mask(700, 300)
    dialog = make_dialog(image, mask, engine=engine)
    assert (dialog.preview_source.width, dialog.preview_source.height) == (512, 219)
    _ready(dialog)
    _quick(dialog, steps=3)
    dialog.preview_button.click()
    assert dialog.progress.stop.isEnabled()
    wait_for(lambda: dialog.progress.bar.value() >= 1)
    wait_for(lambda: dialog._run is None)
    assert "Preview done" in dialog.progress.bar.format(), dialog.status.text()
    assert dialog.pane.after is not None and dialog.pane.after.width() == 512
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    outcome = dialog.outcome
    assert (outcome.image.width, outcome.image.height, outcome.image.depth) == (700, 300, 8)
    assert outcome.settings.steps == 3 and outcome.settings.layers == [dialog.objective.current_layer()]
    assert outcome.layer_name == f"Dream {DEFAULT_MODEL} {outcome.settings.layers[0]} seed 0"
    for y in (0, 150, 299):
        row = slice(y * 700 * 4, (y + 1) * 700 * 4)
        assert outcome.image.data[row][:350 * 4] == image.data[row][:350 * 4]
        assert outcome.image.data[row][3::4] == image.data[row][3::4]
    assert outcome.image.data != image.data
    assert outcome.mask == mask


def test_apply_hands_back_the_inverted_feathered_mask_the_dream_used(make_dialog, engine):
    image, mask = photo(96, 64), half_mask(96, 64)
    dialog = make_dialog(image, mask, engine=engine)
    _ready(dialog)
    _quick(dialog, steps=1)
    dialog.mask_box.invert.setChecked(True)
    dialog.mask_box.feather.setValue(3)
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    used = dialog.outcome.mask
    assert (used.width, used.height) == (96, 64)
    row = used.data[10 * 96:11 * 96]
    assert set(row[:36]) == {255} and set(row[60:]) == {0}
    assert 128 < row[47] < 255 and 0 < row[48] < 128
    assert list(row) == sorted(row, reverse=True)
    for pixel in range(96 * 64):
        if used.data[pixel] == 0:
            assert dialog.outcome.image.data[pixel * 4:pixel * 4 + 4] == image.data[pixel * 4:pixel * 4 + 4]


def test_without_use_selection_the_outcome_has_no_mask(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    _ready(dialog)
    _quick(dialog, steps=1)
    dialog.mask_box.use.setChecked(False)
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    assert dialog.outcome.mask is None


@pytest.mark.parametrize("preview_first", [False, True], ids=["apply", "apply-hands-back-the-preview"])
def test_a_small_selections_outcome_says_which_part_was_dreamed(make_dialog, engine, preview_first):
    selection = bytearray(256 * 192)
    for y in range(80, 100):
        selection[y * 256 + 100:y * 256 + 130] = b"\xff" * 30
    dialog = make_dialog(photo(256, 192), Mask(256, 192, bytes(selection)), engine=engine)
    _ready(dialog)
    _quick(dialog, steps=1)
    if preview_first:  # at full size: Apply hands back this preview
        dialog.preview_button.click()
        wait_for(lambda: dialog._run is None and dialog._finished_preview is not None)
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    assert dialog.outcome.region == Bounds(36, 16, 158, 148)  # the selection's box and 64 px of context


def test_a_selection_whose_box_is_most_of_the_picture_dreams_all_of_it(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    _ready(dialog)
    _quick(dialog, steps=1)
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    assert dialog.outcome.region is None


def test_apply_reuses_a_full_size_preview_of_the_same_settings(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    _ready(dialog)
    _quick(dialog)
    dialog.preview_button.click()
    wait_for(lambda: dialog._run is None and dialog._finished_preview is not None)
    previewed = dialog._finished_preview[1]
    dialog.apply_button.click()
    assert dialog.result() == DreamDialog.Accepted and dialog.outcome.image is previewed
    assert dialog.outcome.mask == half_mask(96, 64)


@pytest.mark.parametrize("full_size", [True, False], ids=["reused preview", "full-size Apply"])
def test_an_editor_that_masks_its_layer_gets_the_pure_dream_and_the_pane_shows_the_blend(make_dialog, engine,
                                                                                       full_size):
    size = (96, 64) if full_size else (600, 200)
    image, mask = photo(*size), half_mask(*size)
    dialog = make_dialog(image, mask, engine=engine, result="layer")
    _ready(dialog)
    _quick(dialog, steps=1)
    dialog.mask_box.feather.setValue(6)
    dialog.preview_button.click()
    wait_for(lambda: dialog._run is None and dialog._finished_preview is not None)
    _, previewed, used, _ = dialog._finished_preview
    shown = from_qimage(dialog.pane.after)
    assert shown.width == dialog.preview_source.width
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    outcome = dialog.outcome
    assert outcome.result == "layer" and (outcome.image is previewed) == full_size
    soft = [pixel for pixel, weight in enumerate(outcome.mask.data) if 40 < weight < 215]
    assert soft and all(image.data[4 * p + 3] == outcome.image.data[4 * p + 3] for p in soft)
    if full_size:  # the preview was the dream at full size: the pane shows it mixed in, the outcome unmixed
        def change(picture, pixels):
            return sum(abs(picture.data[4 * p + c] - image.data[4 * p + c]) for p in pixels for c in range(3))

        assert change(outcome.image, soft) > 1.5 * change(shown, soft) > 0
        assert used == outcome.mask


def test_stop_cancels_and_leaves_nothing_applied(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    _quick(dialog, steps=300)
    dialog.preview_button.click()
    wait_for(lambda: dialog.progress.bar.value() >= 1 and dialog.pane.after is not None)
    dialog.progress.stop.click()
    wait_for(lambda: dialog._run is None)
    assert dialog.status.text().startswith("Stopped") and dialog.progress.bar.value() < 300
    assert dialog.pane.after is None  # the half-dreamed picture is gone; the original shows
    dialog.reject()
    assert dialog.outcome is None


def test_preview_is_off_while_apply_runs(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    _quick(dialog, steps=300)
    dialog.apply_button.click()
    assert dialog._run is not None and dialog._run.full
    assert not dialog.preview_button.isEnabled() and not dialog.apply_button.isEnabled()
    dialog.preview_button.click()
    assert dialog._run is not None and dialog._run.full
    dialog.progress.stop.click()
    wait_for(lambda: dialog._run is None)
    assert dialog.preview_button.isEnabled() and dialog.outcome is None


def test_reopening_on_a_running_engine_says_it_is_ready(make_dialog, engine):
    make_dialog(photo(32, 32), engine=engine).reject()
    again = make_dialog(photo(32, 32), engine=engine)
    assert again.status.text() == "Dream engine ready."


def test_a_grey_document_is_named_and_previewed_in_grey(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine, colour="greyscale, 16-bit", greyscale=True)
    assert dialog.size_note.text() == "96 x 64 px, greyscale, 16-bit"
    _ready(dialog)
    _quick(dialog, steps=2)
    dialog.preview_button.click()
    wait_for(lambda: dialog._finished_preview is not None)
    shown = dialog.pane.after
    assert shown.isGrayscale()
    colourful = dialog._finished_preview[1]
    assert len({colourful.data[i:i + 3] for i in range(0, len(colourful.data), 4)} -
               {bytes([v, v, v]) for v in range(256)}) > 0  # the engine dreamed in colour; the pane shows grey


def test_class_mode_searches_labels_and_refuses_unknown_ones(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    dialog.objective.mode.setCurrentIndex(dialog.objective.mode.findData("class"))
    wait_for(lambda: dialog.objective.has_labels())
    completer = dialog.objective.label.completer()
    completer.setCompletionPrefix("tabby")
    assert completer.completionCount() >= 1 and "tabby" in completer.currentCompletion()
    dialog.objective.label.setEditText("unicorn")
    dialog.preview_button.click()
    assert dialog._run is None and "Unknown class 'unicorn'" in dialog.status.text()
    dialog.objective.label.setEditText("tabbby")
    dialog.preview_button.click()
    assert dialog._run is None and "nearest: tabby (281)" in dialog.status.text()
    for typed in ("Tabby", "tabby cat", "281"):  # as forgiving as the command line
        dialog.objective.label.setEditText(typed)
        assert dialog.current_settings().objective == "class:tabby"
    dialog.objective.label.setEditText(completer.currentCompletion())
    assert dialog.current_settings().objective == class_logit(completer.currentCompletion()).text()


def test_presets_apply_and_the_painters_own_are_saved(make_dialog, engine, preset_store):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    bar = dialog.preset_bar
    bar.combo.setCurrentIndex(bar.combo.findData("Deep"))
    bar.combo.activated.emit(bar.combo.currentIndex())
    assert dialog.strength.pattern_size.value() == 2.0 and dialog.strength.steps.value() == 20
    layers = dialog.objective.layer.count()
    assert dialog.objective.layer.currentIndex() == round(0.85 * (layers - 1))
    dialog.strength.seed.setValue(77)
    bar.save_as("Mine", dialog.state())
    assert PresetStore(preset_store.path).find("Mine").values["seed"] == 77
    assert bar.combo.currentData() == "Mine" and bar.delete.isEnabled()
    bar.combo.setCurrentIndex(bar.combo.findData("Gentle"))
    bar.combo.activated.emit(bar.combo.currentIndex())
    assert dialog.strength.pattern_size.value() == 0.5
    bar.combo.setCurrentIndex(bar.combo.findData("Mine"))
    bar.combo.activated.emit(bar.combo.currentIndex())
    assert dialog.strength.seed.value() == 77 and dialog.strength.pattern_size.value() == 2.0


def test_a_preset_sets_every_setting_of_its_look(make_dialog, engine):
    dialog = make_dialog(photo(96, 64), engine=engine)
    _ready(dialog)
    bar = dialog.preset_bar
    for name in ("Gentle", "Classic 2015"):
        bar.combo.setCurrentIndex(bar.combo.findData(name))
        bar.combo.activated.emit(bar.combo.currentIndex())
    assert dialog.strength.step_size.value() == DreamSettings().step_size  # not Gentle's 0.004
    look = ("steps", "pattern_size", "octave_scale", "step_size", "jitter")
    assert {key: dialog.strength.values()[key] for key in look} == {key: bar.current().values[key] for key in look}


def test_the_last_settings_are_remembered(make_dialog, engine):
    first = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    _ready(first)
    first.strength.steps.setValue(7)
    first.strength.seed.setValue(1234)
    first.objective.select_layer("blocks.5")
    first.objective.mode.setCurrentIndex(first.objective.mode.findData("channel"))
    first.objective.channel.setValue(9)
    first.reject()
    second = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    _ready(second)
    assert (second.strength.steps.value(), second.strength.seed.value()) == (7, 1234)
    assert second.objective.current_layer() == "blocks.5" and second.objective.current_mode() == "channel"
    assert second.objective.channel.value() == 9
    assert second.current_settings().objective == "blocks.5:9"


@pytest.mark.parametrize("earlier", ["no selection", "unticked, inverted, feathered"])
def test_a_selection_is_always_used_as_it_is_whatever_an_earlier_run_did(make_dialog, engine, earlier):
    first = make_dialog(photo(96, 64), None if earlier == "no selection" else half_mask(96, 64), engine=engine)
    if earlier != "no selection":
        first.mask_box.invert.setChecked(True)
        first.mask_box.feather.setValue(4)
        first.mask_box.use.setChecked(False)
    first.reject()
    second = make_dialog(photo(96, 64), half_mask(96, 64), engine=engine)
    assert second.mask_box.use.isChecked() and second.mask_box.use.isEnabled()
    assert not second.mask_box.invert.isChecked() and second.mask_box.feather.value() == 0
    _ready(second)
    _quick(second, steps=1)
    second.apply_button.click()
    wait_for(lambda: second.result() == DreamDialog.Accepted)
    assert second.outcome.mask == half_mask(96, 64)


def test_engine_killed_mid_dream_is_explained_and_restart_works(make_dialog, fresh_engine):
    dialog = make_dialog(photo(96, 64), client=fresh_engine)
    _ready(dialog)
    _quick(dialog, steps=300)
    dialog.preview_button.click()
    wait_for(lambda: dialog.progress.bar.value() >= 1 and dialog.pane.after is not None)
    os.kill(fresh_engine.process_id(), signal.SIGKILL)
    wait_for(lambda: dialog.banner.isVisible())
    text = dialog.banner.text.text()
    assert "The dream engine stopped unexpectedly" in text and "has not been changed" in text
    assert not dialog.preview_button.isEnabled() and dialog.outcome is None and dialog.isVisible()
    assert dialog.pane.after is None and dialog.banner.restart.isVisible()  # no half-dreamed picture left
    dialog.banner.restart.click()
    _ready(dialog)
    assert not dialog.banner.isVisible()
    _quick(dialog, steps=1)
    dialog.preview_button.click()
    wait_for(lambda: dialog._finished_preview is not None)


def test_missing_engine_is_explained_without_a_traceback(make_dialog, qapp, tmp_path):
    from dreamlayer.ui.client import EngineClient
    client = EngineClient(str(tmp_path / "nowhere" / "python"))
    dialog = make_dialog(photo(32, 32), client=client)
    wait_for(lambda: dialog.banner.isVisible())
    assert "could not be started" in dialog.banner.text.text() and not dialog.preview_button.isEnabled()
    assert not dialog.banner.restart.isVisible()  # restarting cannot find a missing Python
    assert "Restart" not in dialog.banner.text.text()


def test_an_engine_that_never_says_hello_times_out_with_a_clear_message(make_dialog, qapp, tmp_path):
    from dreamlayer.ui.client import EngineClient
    silent = tmp_path / "silent-python"
    silent.write_text("#!/bin/sh\nexec sleep 600\n")
    silent.chmod(0o755)
    client = EngineClient(str(silent))
    client.hello_timeout_s = 1.0
    try:
        dialog = make_dialog(photo(32, 32), client=client)
        assert dialog.status.text() == "Starting the dream engine..."
        wait_for(lambda: dialog.banner.isVisible(), timeout=20)
        assert "gave no sign of life within 1 s" in dialog.banner.text.text()
        assert not client.is_running and dialog.banner.restart.isVisible()
        assert "Starting" not in dialog.progress.bar.format()
    finally:
        client.shutdown()


def test_dream_interactively_returns_the_outcome_of_apply(qapp, settings_store, monkeypatch):
    monkeypatch.setattr("dreamlayer.ui.dialog.SettingsStore", lambda: settings_store)
    image = photo(64, 48)

    def drive():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, DreamDialog) and dialog.preview_button.isEnabled():
            _quick(dialog, steps=1)
            dialog.apply_button.click()
        else:
            QTimer.singleShot(50, drive)

    QTimer.singleShot(50, drive)
    try:
        outcome = session.dream_interactively(image, None, sys.executable)
        assert outcome is not None and (outcome.image.width, outcome.image.height) == (64, 48)
        assert (outcome.settings.steps, outcome.settings.pattern_size) == (1, 4.0)
        with pytest.raises(ValueError, match="mask is 2x2 but the image is 64x48"):
            session.dream_interactively(image, half_mask(2, 2), sys.executable)
    finally:
        session.engine_client(sys.executable).shutdown()


def test_download_button_fetches_a_model_and_makes_it_usable(make_dialog, qapp, tmp_path, monkeypatch, cache):
    from dreamlayer.engine.models import registry
    from dreamlayer.ui.client import EngineClient
    from httpserver import FileServer
    from mirror_worker import MODEL

    weights = Path(registry.weights_path(registry.get("efficientnet-lite0"))).read_bytes()
    script = tmp_path / "engine-python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).parents[1] / "mirror_worker.py"}"\n')
    script.chmod(0o755)
    with FileServer(weights, "/lite0.pth") as server:
        monkeypatch.setenv("DREAMLAYER_TEST_MIRROR", server.url)
        client = EngineClient(str(script))
        try:
            dialog = make_dialog(photo(64, 48), client=client)
            _ready(dialog)
            assert dialog.model_box.select(MODEL)
            wait_for(lambda: dialog._layers_model == MODEL)
            assert "not downloaded" in dialog.model_box.combo.currentText()
            assert dialog.model_box.download.isEnabled() and not dialog.preview_button.isEnabled()
            formats = []
            client.pull_progress.connect(lambda *_: formats.append(dialog.progress.bar.format()))
            dialog.model_box.download.click()
            assert not dialog.model_box.combo.isEnabled()
            _ready(dialog)
            assert dialog.model_box.current_model() == MODEL and dialog.model_box.installed()
            assert formats and formats[-1] == f"Downloading {MODEL}: 19 MB of 19 MB"
            assert dialog.status.text() == f"{MODEL} is ready to dream."
        finally:
            client.shutdown()


def test_atlas_pictures_show_beside_layers_and_channels(make_dialog, fresh_engine, cache):
    from PyQt5.QtGui import QColor, QImage

    from dreamlayer.engine.visualize.atlas import cache_path

    for channel in (None, 5):
        path = cache_path(DEFAULT_MODEL, "blocks.3", channel)
        path.parent.mkdir(parents=True, exist_ok=True)
        picture = QImage(128, 128, QImage.Format_RGB32)
        picture.fill(QColor("red"))
        assert picture.save(str(path))
    dialog = make_dialog(photo(64, 48), client=fresh_engine)
    _ready(dialog)
    combo = dialog.objective.layer
    with_icons = [combo.itemData(i) for i in range(combo.count()) if not combo.itemIcon(i).isNull()]
    assert with_icons == ["blocks.3"]
    dialog.objective.select_layer("blocks.3")
    dialog.objective.mode.setCurrentIndex(dialog.objective.mode.findData("channel"))
    dialog.objective.channel.setValue(5)
    assert dialog.objective.channel_picture.isVisible()
    assert dialog.objective.channel_picture.pixmap().toImage().pixelColor(10, 10) == QColor("red")
    dialog.objective.channel.setValue(6)
    assert not dialog.objective.channel_picture.isVisible()
