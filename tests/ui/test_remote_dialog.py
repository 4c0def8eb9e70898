"""The Dream dialog against a real ``dreamlayer serve`` process on 127.0.0.1: connecting, the
remote's device and models, previews and Apply, a wrong token, waiting for another editor,
the server killed mid-dream, reconnecting, and the choice remembered."""
import os
import signal
import stat

import pytest

from dreamlayer.settings import DEFAULT_MODEL, DreamSettings
from dreamlayer.ui.client import EngineClient
from dreamlayer.ui.dialog import DreamDialog
from dreamlayer.ui.store import ENGINE_KEY
from dreamlayer.ui.transport import parse_address
from serve_process import TOKEN, ServeProcess
from uihelpers import half_mask, photo, wait_for


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServeProcess(tmp_path_factory.mktemp("serve") / "token")
    yield process
    process.close()


@pytest.fixture
def remote_dialog(qtbot, qapp, settings_store, preset_store):
    made = []

    def make(port, token=TOKEN, image=None, mask=None, deflate=False):
        settings_store.save({"engine": "remote", "address": f"127.0.0.1:{port}", "token": token,
                             "deflate": deflate}, ENGINE_KEY)
        client = EngineClient("/nonexistent/python")  # never started: the dialog must dream remotely
        dialog = DreamDialog(client, image or photo(96, 64), mask, preset_store, settings_store)
        qtbot.addWidget(dialog)
        dialog.show()
        made.append((dialog, client))
        return dialog

    yield make
    for dialog, client in made:
        if dialog.isVisible():
            dialog.reject()
        client.shutdown()


def _ready(dialog):
    wait_for(lambda: dialog.preview_button.isEnabled() or dialog.banner.isVisible())
    assert not dialog.banner.isVisible(), dialog.banner.text.text()


def _quick(dialog, steps=2):
    dialog.strength.steps.setValue(steps)
    dialog.strength.pattern_size.setValue(4.0)


@pytest.mark.parametrize("deflate", [False, True])
def test_a_remote_engine_shows_where_it_dreams_and_its_models_then_previews_and_applies(remote_dialog, server,
                                                                                         deflate):
    dialog = remote_dialog(server.port, mask=half_mask(96, 64), deflate=deflate)
    _ready(dialog)
    assert dialog.engine_box.remote.isChecked() and dialog.client.process_id() == 0
    status = dialog.engine_box.status.text()
    assert status.startswith("Connected to ") and "dreams on" in status and "models installed" in status
    assert dialog.model_box.current_model() == DEFAULT_MODEL and dialog.model_box.installed()
    _quick(dialog)
    dialog.preview_button.click()
    wait_for(lambda: dialog._finished_preview is not None)
    assert dialog.pane.after is not None
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    outcome = dialog.outcome
    assert (outcome.image.width, outcome.image.height) == (96, 64) and outcome.mask == half_mask(96, 64)


def test_a_wrong_token_is_said_in_one_line_and_a_corrected_one_connects(remote_dialog, server):
    dialog = remote_dialog(server.port, token="not-the-token-at-all")
    wait_for(lambda: dialog.banner.isVisible())
    assert "wrong or missing token" in dialog.banner.text.text() and not dialog.banner.restart.isVisible()
    assert dialog.engine_box.status.text() == "Not connected: see the message at the top."
    assert not dialog.preview_button.isEnabled()
    dialog.engine_box.token.setText(TOKEN)
    dialog.engine_box.check.click()
    _ready(dialog)
    assert dialog.engine_box.status.text().startswith("Connected to ")


def test_nothing_listening_is_explained(remote_dialog, server, tmp_path):
    spare = ServeProcess(tmp_path / "token")
    port = spare.port
    spare.close()
    dialog = remote_dialog(port)
    wait_for(lambda: dialog.banner.isVisible())
    assert "nothing listens there" in dialog.banner.text.text() and dialog.banner.restart.isVisible()


def test_a_dream_waiting_behind_another_editors_says_so(remote_dialog, server):
    other = server.connect()
    try:
        assert other.receive().type == "hello"
        other.dream(1, photo(64, 64), DreamSettings(steps=300, octaves=1))
        other.until("progress")
        dialog = remote_dialog(server.port)
        _ready(dialog)
        _quick(dialog, steps=1)
        dialog.preview_button.click()
        wait_for(lambda: "Waiting for the engine" in dialog.progress.bar.format())
        assert dialog.progress.bar.format() == "Waiting for the engine (1 ahead)"
        assert dialog.status.text() == "Waiting: 1 dream ahead of yours (another editor's, on a shared engine)."
        assert dialog.progress.time_left.text() == "1 ahead"
        other.send("cancel", id=2, target=1)
        wait_for(lambda: dialog._finished_preview is not None)
    finally:
        other.close()


def test_server_killed_mid_dream_is_explained_and_reconnect_works(remote_dialog, tmp_path):
    first = ServeProcess(tmp_path / "token")
    dialog = remote_dialog(first.port)
    try:
        _ready(dialog)
        _quick(dialog, steps=300)
        dialog.apply_button.click()
        wait_for(lambda: dialog.progress.bar.value() >= 1)
        os.kill(first.proc.pid, signal.SIGKILL)
        wait_for(lambda: dialog.banner.isVisible())
        text = dialog.banner.text.text()
        assert "connection to the remote engine at 127.0.0.1:" in text and "has not been changed" in text
        assert dialog.outcome is None and dialog.isVisible() and dialog.pane.after is None
        assert not dialog.apply_button.isEnabled() and dialog.banner.restart.isVisible()
        second = ServeProcess(tmp_path / "token", port=first.port)
        try:
            dialog.banner.restart.click()
            _ready(dialog)
            _quick(dialog, steps=1)
            dialog.preview_button.click()
            wait_for(lambda: dialog._finished_preview is not None)
        finally:
            second.close()
    finally:
        first.close()


def test_the_engine_choice_is_remembered_apart_from_the_look(remote_dialog, server, settings_store):
    dialog = remote_dialog(server.port)
    _ready(dialog)
    assert dialog.engine_box.remote_fields.isVisible()
    dialog.engine_box.local.setChecked(True)  # back to this computer
    assert dialog.engine_box.remote_fields.isHidden()  # address and token out of the way
    dialog.reject()
    saved = settings_store.load(ENGINE_KEY)
    assert saved == {"engine": "local", "address": f"127.0.0.1:{server.port}", "token": TOKEN, "deflate": False}
    assert "token" not in settings_store.load() and "address" not in settings_store.load()
    assert stat.S_IMODE(os.stat(settings_store.settings.fileName()).st_mode) == 0o600  # it holds the token


@pytest.mark.parametrize("text, parsed", [("gpu-box", ("gpu-box", 7823)), ("10.0.0.5:9000", ("10.0.0.5", 9000)),
                                          ("[::1]:8000", ("::1", 8000)), (" 127.0.0.1:7823 ", ("127.0.0.1", 7823))])
def test_addresses_are_read_as_a_painter_writes_them(text, parsed):
    assert parse_address(text) == parsed


@pytest.mark.parametrize("text", ["", "host:", "host:0", "host:99999", "host:port", "[::1"])
def test_a_bad_address_is_one_line(text):
    with pytest.raises(ValueError, match="is not an address: write host or host:port"):
        parse_address(text)


def test_an_incomplete_remote_choice_says_what_is_missing_and_dreams_here_meanwhile(qtbot, engine, settings_store,
                                                                                      preset_store):
    settings_store.save({"engine": "remote", "address": "127.0.0.1:7823", "token": ""}, ENGINE_KEY)
    dialog = DreamDialog(engine, photo(32, 32), None, preset_store, settings_store)
    qtbot.addWidget(dialog)
    assert engine.remote is None
    assert dialog.engine_box.status.text() == ("Paste the token `dreamlayer serve` printed; dreaming on this "
                                               "computer until then.")
    dialog.engine_box.check.click()
    assert dialog.engine_box.status.text() == "Paste the token `dreamlayer serve` printed."
    assert engine.remote is None
    dialog.reject()
