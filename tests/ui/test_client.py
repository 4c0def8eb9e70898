"""EngineClient against the real engine process: signals, previews, cancel, crashes and restarts."""
import os
import signal
import stat
import sys
from pathlib import Path

import pytest
from PyQt5.QtGui import QImage

from dreamlayer import protocol
from dreamlayer.settings import DreamSettings
from dreamlayer.ui.client import MISCONFIGURED, EngineClient

from uihelpers import half_mask, photo, wait_for


class Recorder:
    """Collects what a client emits, signal by signal."""

    def __init__(self, client: EngineClient) -> None:
        self.seen: dict[str, list] = {}
        for name in ("ready", "models", "layers", "labels", "started", "progress", "result", "cancelled", "failed",
                     "stopped"):
            getattr(client, name).connect(lambda *args, name=name: self.seen.setdefault(name, []).append(args))

    def __getitem__(self, name: str) -> list:
        return self.seen.get(name, [])


def _script(tmp_path: Path, body: str) -> str:
    """An 'engine python' that is really a shell script, for engines that are broken on purpose."""
    path = tmp_path / "engine-python"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_requests_made_while_starting_are_answered_once_ready(fresh_engine):
    seen = Recorder(fresh_engine)
    fresh_engine.list_models()
    fresh_engine.request_layers(DreamSettings().model)
    assert not fresh_engine.is_ready
    wait_for(lambda: seen["models"] and seen["layers"])
    assert seen["ready"][0][0]["protocol"] == protocol.PROTOCOL_VERSION
    assert any(m["name"] == DreamSettings().model and m["installed"] for m in seen["models"][0][0])
    model, layers, default = seen["layers"][0]
    assert model == DreamSettings().model and default in [layer["name"] for layer in layers]


def test_dream_streams_previews_and_returns_the_full_image(engine):
    seen = Recorder(engine)
    image, mask = photo(96, 64), half_mask(96, 64)
    dream_id = engine.dream(image, mask, DreamSettings(steps=2, octaves=1), preview_size=48)
    wait_for(lambda: seen["result"] or seen["failed"])
    assert not seen["failed"], seen["failed"]
    assert [args[0] for args in seen["started"]] == [dream_id]
    steps = [fields["step"] for _, fields, _ in seen["progress"]]
    assert steps == [1, 2]
    preview = seen["progress"][0][2]
    assert isinstance(preview, QImage) and max(preview.width(), preview.height()) == 48
    got_id, result, used, fields = seen["result"][0]
    assert got_id == dream_id and (result.width, result.height, result.depth) == (96, 64, 8)
    assert used == mask
    for y in range(64):
        row = slice(y * 96 * 4, (y + 1) * 96 * 4)
        assert result.data[row][:48 * 4] == image.data[row][:48 * 4]  # masked out: untouched
        assert result.data[row][3::4] == image.data[row][3::4]  # alpha: untouched
    assert result.data != image.data and fields["steps"] == 2


def test_cancel_ends_a_long_dream_within_a_step(engine):
    seen = Recorder(engine)
    dream_id = engine.dream(photo(96, 64), None, DreamSettings(steps=300, octaves=1))
    wait_for(lambda: seen["progress"])
    engine.cancel(dream_id)
    wait_for(lambda: seen["cancelled"] or seen["result"])
    assert seen["cancelled"] == [(dream_id,)]
    assert max(fields["step"] for _, fields, _ in seen["progress"]) < 300


def test_bad_settings_come_back_as_a_failure_for_that_dream(engine):
    seen = Recorder(engine)
    dream_id = engine.dream(photo(32, 32), None, DreamSettings(model="no-such-net", steps=1, octaves=1))
    wait_for(lambda: seen["failed"])
    request_id, message = seen["failed"][0]
    assert request_id == dream_id and "no-such-net" in message


def test_killed_engine_is_reported_and_restart_brings_it_back(fresh_engine):
    seen = Recorder(fresh_engine)
    fresh_engine.start()
    wait_for(lambda: fresh_engine.is_ready)
    fresh_engine.dream(photo(96, 64), None, DreamSettings(steps=300, octaves=1))
    wait_for(lambda: seen["progress"])
    os.kill(fresh_engine.process_id(), signal.SIGKILL)
    wait_for(lambda: seen["stopped"])
    code, message = seen["stopped"][0]
    assert "stopped unexpectedly" in message and not fresh_engine.is_running
    fresh_engine.restart()
    wait_for(lambda: len(seen["ready"]) == 2)
    dream_id = fresh_engine.dream(photo(32, 32), None, DreamSettings(steps=1, octaves=1))
    wait_for(lambda: seen["result"])
    assert seen["result"][0][0] == dream_id


def test_missing_engine_python_is_explained(qapp, tmp_path):
    client = EngineClient(str(tmp_path / "no-python"))
    seen = Recorder(client)
    client.start()
    wait_for(lambda: seen["stopped"])
    assert seen["stopped"][0][0] == MISCONFIGURED and "could not be started" in seen["stopped"][0][1]


def test_engine_python_without_dreamlayer_reports_its_last_words(qapp, tmp_path):
    client = EngineClient(_script(tmp_path, f'exec "{sys.executable}" -I -S "$@"'))
    seen = Recorder(client)
    client.start()
    wait_for(lambda: seen["stopped"])
    code, message = seen["stopped"][0]
    assert code == 1 and "exit code 1" in message and "No module named" in message


def test_engine_speaking_another_protocol_version_is_refused(qapp, tmp_path):
    patched = ("import sys, dreamlayer.protocol as p; p.PROTOCOL_VERSION = 99; "
               "from dreamlayer.engine.worker import main; sys.exit(main())")
    client = EngineClient(_script(tmp_path, f'exec "{sys.executable}" -c "{patched}"'))
    seen = Recorder(client)
    client.start()
    wait_for(lambda: seen["stopped"])
    assert "protocol version 99" in seen["stopped"][0][1] and not seen["ready"]
    assert not client.is_running


def test_engine_printing_to_stdout_is_reported_as_unreadable(qapp, tmp_path):
    client = EngineClient(_script(tmp_path, "echo 'Loading model...'; sleep 30"))
    seen = Recorder(client)
    client.start()
    wait_for(lambda: seen["stopped"])
    assert "unreadable" in seen["stopped"][0][1] and not client.is_running


@pytest.mark.parametrize("kind", ["shutdown", "restart"])
def test_asked_for_exits_are_not_reported_as_crashes(fresh_engine, kind):
    seen = Recorder(fresh_engine)
    fresh_engine.start()
    wait_for(lambda: fresh_engine.is_ready)
    getattr(fresh_engine, kind)()
    if kind == "restart":
        wait_for(lambda: len(seen["ready"]) == 2)
    assert not seen["stopped"]


def test_a_restarted_engine_is_not_blamed_for_the_last_words_of_the_one_before(qapp, tmp_path):
    marker = tmp_path / "ran-once"
    client = EngineClient(_script(tmp_path, f'if [ -e "{marker}" ]; then exit 1; fi; touch "{marker}"; '
                                            'echo "ImportError: the first engine broke" >&2; exit 1'))
    seen = Recorder(client)
    client.start()
    wait_for(lambda: seen["stopped"])
    assert "the first engine broke" in seen["stopped"][0][1]
    client.restart()
    wait_for(lambda: len(seen["stopped"]) == 2)
    assert "exit code 1" in seen["stopped"][1][1] and "It said" not in seen["stopped"][1][1]
    assert "the first engine broke" not in client.log_tail()
