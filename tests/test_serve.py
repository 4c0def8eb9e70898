"""``dreamlayer serve`` as a separate process on 127.0.0.1: the same dream as the pipe engine,
tokens, deadlines, hostile frames, editors that vanish, and several editors taking turns."""
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from dreamlayer import protocol
from dreamlayer.engine.serve import AUTH_SECONDS, Server, exposure_warning, is_loopback
from dreamlayer.engine.token import read_or_make_token
from dreamlayer.engine.errors import DreamError
from dreamlayer.pixels import Image, Mask
from dreamlayer.settings import DreamSettings
from serve_process import TOKEN, ServeProcess
from test_worker import WorkerProcess

TESTS = Path(__file__).resolve().parent
QUICK = DreamSettings(steps=2, octaves=1, jitter=4)
LONG = DreamSettings(steps=500, octaves=1)


def _photo(width: int, height: int, depth: int = 8) -> Image:
    rng = np.random.default_rng(3)
    dtype = np.uint8 if depth == 8 else np.dtype("<u2")
    samples = rng.integers(0, 1 << depth, size=(height, width, 4), dtype=np.uint64).astype(dtype)
    return Image(width, height, samples.tobytes(), depth)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServeProcess(tmp_path_factory.mktemp("serve") / "token")
    yield process
    process.close()


def _hello(editor) -> protocol.Message:
    hello = editor.receive()
    assert hello is not None and hello.type == "hello", hello
    return hello


def test_hello_says_where_the_engine_dreams_and_no_local_path_is_offered(server):
    editor = server.connect()
    try:
        hello = _hello(editor)
        assert hello["protocol"] == protocol.PROTOCOL_VERSION and hello["remote"] is True
        assert hello["device"] and hello["host"]
        editor.send("layers", id=1, model=DreamSettings().model)
        layers = editor.receive()
        assert layers.type == "layers" and layers["layers"]
        assert not any("thumbnail" in key for layer in layers["layers"] for key in layer)
    finally:
        editor.close()


def test_a_dream_that_replaces_a_cancelled_one_is_not_told_to_wait(server):
    editor = server.connect()
    try:
        _hello(editor)
        editor.dream(1, _photo(64, 64), LONG)
        editor.until("progress")
        editor.send("cancel", id=2, target=1)
        editor.dream(3, _photo(48, 48), QUICK)
        seen, result = editor.until("result")
        assert result["id"] == 3 and not [m for m in seen if m.type == "queued"]
    finally:
        editor.close()


@pytest.mark.parametrize("depth", [8, 16])
def test_a_remote_dream_gives_the_same_bytes_as_the_pipe_engine(server, depth):
    image = _photo(96, 64, depth)
    mask = Mask(96, 64, (bytes(48) + bytes([200]) * 48) * 64)
    local = WorkerProcess()
    editor = server.connect()
    try:
        assert local.receive().type == "hello"
        _hello(editor)
        local.dream(1, image, QUICK, mask)
        editor.dream(1, image, QUICK, mask)
        _, mine = local.until("result")
        _, theirs = editor.until("result")
        assert protocol.image_from(theirs) == protocol.image_from(mine)
        assert protocol.mask_from(theirs) == protocol.mask_from(mine) == mask
    finally:
        local.close()
        editor.close()


def test_an_editor_that_asks_gets_deflated_pixels_both_ways_and_the_same_bytes(server):
    image = Image(512, 512, bytes(range(256)) * 4096, 8)  # compressible: deflated on the wire
    results = []
    for deflate in (False, True):
        editor = server.connect()
        try:
            _hello(editor)
            if deflate:
                editor.send("deflate", id=1, on=True)
            blobs: list[bytes] = []
            fields = {"image": protocol.image_field(image, blobs), "settings": QUICK.to_dict()}
            editor.send("dream", blobs, deflate=deflate, id=2, **fields)
            before = editor.received_bytes
            _, result = editor.until("result", "error")
            assert result.type == "result", result.fields
            results.append((protocol.image_from(result), editor.received_bytes - before))
        finally:
            editor.close()
    (plain, plain_bytes), (packed, packed_bytes) = results
    assert plain == packed and packed_bytes < plain_bytes / 2


@pytest.mark.parametrize("token", ["wrong-token-0123456789", ""])
def test_a_wrong_token_is_refused_with_one_line_and_the_connection_closed(server, token):
    editor = server.connect(token)
    try:
        refusal = editor.receive()
        assert refusal.type == "error" and "wrong or missing token" in refusal["message"]
        assert editor.closed_by_peer()
    finally:
        editor.close()


def test_a_client_that_never_shows_a_token_is_dropped_unread(server):
    editor = server.connect(token=None)
    try:
        editor.sock.sendall(b"DLA")  # a few bytes, then nothing: the deadline is not extended by trickling
        start = time.monotonic()
        refusal = editor.receive()
        assert refusal.type == "error" and editor.closed_by_peer()
        assert time.monotonic() - start < AUTH_SECONDS * 6  # dropped at the deadline, not kept forever
    finally:
        editor.close()


HOSTILE = {
    "a frame instead of the token": struct.pack(">2sI", b"DL", 30) + b'{"type":"shutdown","blobs":[]}',
    "a 1 TiB blob claim": struct.pack(">2sI", b"DL", 46) + b'{"type":"dream","blobs":[1099511627776],"id":1}',
    "10 MB of noise": os.urandom(10 << 20),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_bytes_before_the_token_are_never_parsed(server, name):
    editor = server.connect(token=None)
    try:
        try:
            editor.sock.sendall(HOSTILE[name])
        except (BrokenPipeError, ConnectionResetError):  # closed after the preamble's 40 bytes
            pass
        refusal = editor.receive()
        assert refusal.type == "error" and "token" in refusal["message"]
    except ConnectionResetError:
        pass
    finally:
        editor.close()
    assert server.proc.poll() is None
    after = server.connect()
    try:
        assert _hello(after)["remote"]
    finally:
        after.close()


AFTER_AUTH = {
    "a 2 GiB blob claim": b'{"type":"dream","blobs":[2147483648],"id":1}',
    "a deflated blob claiming 2 GiB": b'{"type":"dream","blobs":[10],"deflated":{"0":2147483648},"id":1}',
    "not JSON": b"{not json",
}


@pytest.mark.parametrize("name", AFTER_AUTH)
def test_hostile_frames_after_the_token_end_that_connection_only(server, name):
    editor = server.connect()
    try:
        _hello(editor)
        header = AFTER_AUTH[name]
        editor.sock.sendall(struct.pack(">2sI", b"DL", len(header)) + header)
        error = editor.receive()
        assert error.type == "error" and "garbled" in error["message"] and "\n" not in error["message"]
        assert editor.closed_by_peer()
    finally:
        editor.close()
    after = server.connect()
    try:
        _hello(after)
        after.send("list_models", id=1)
        assert after.receive().type == "models"
    finally:
        after.close()


def test_a_deflated_blob_that_inflates_to_another_size_is_refused(server):
    editor = server.connect()
    try:
        _hello(editor)
        packed = zlib.compress(bytes(1000))
        header = b'{"type":"dream","blobs":[%d],"deflated":{"0":100},"id":1}' % len(packed)
        editor.sock.sendall(struct.pack(">2sI", b"DL", len(header)) + header + packed)
        error = editor.receive()
        assert error.type == "error" and "inflate" in error["message"]
    finally:
        editor.close()


_KILLABLE = """
import sys
sys.path.insert(0, {tests!r})
from serve_process import Editor
from dreamlayer.settings import DreamSettings
from test_serve import _photo
editor = Editor({port})
editor.receive()
editor.dream(1, _photo(64, 64), DreamSettings(steps=500, octaves=1))
editor.until("progress")
print("dreaming", flush=True)
sys.stdin.read()
"""


def test_an_editor_killed_mid_dream_frees_the_engine_for_the_next(server):
    child = subprocess.Popen([sys.executable, "-c", _KILLABLE.format(tests=str(TESTS), port=server.port)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "dreaming"
        child.send_signal(signal.SIGKILL)
        child.wait()
        editor = server.connect()
        try:
            _hello(editor)
            editor.dream(2, _photo(48, 48), QUICK)
            seen, result = editor.until("result", "error")
            assert result.type == "result", result.fields  # not stuck behind the dead editor's 500 steps
            assert [m["step"] for m in seen if m.type == "progress"] == [1, 2]
        finally:
            editor.close()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_editors_take_turns_and_a_waiting_one_hears_its_place(server):
    first, second = server.connect(), server.connect()
    try:
        _hello(first)
        _hello(second)
        first.dream(1, _photo(64, 64), DreamSettings(steps=40, octaves=1))
        first.until("progress")
        second.dream(1, _photo(48, 48), QUICK)
        queued = second.receive()
        assert queued.type == "queued" and queued["id"] == 1 and queued["ahead"] == 1
        first.send("cancel", id=2, target=1)
        _, end = first.until("cancelled", "result")
        assert end["id"] == 1
        started = second.receive()
        assert started.type == "started"
        _, result = second.until("result")
        assert protocol.image_from(result).width == 48
    finally:
        first.close()
        second.close()


def test_a_shutdown_request_ends_the_conversation_not_the_server(server):
    editor = server.connect()
    try:
        _hello(editor)
        editor.send("shutdown", id=7)
        assert editor.receive().type == "bye"
    finally:
        editor.close()
    assert server.proc.poll() is None
    after = server.connect()
    try:
        _hello(after)
    finally:
        after.close()


def test_a_made_token_is_random_private_and_announced_once(tmp_path):
    path = tmp_path / "config" / "token"
    server = ServeProcess(path, token=None)
    try:
        token = path.read_text().strip()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 40
        assert any(token in line for line in server.said)
        editor = server.connect(token)
        try:
            _hello(editor)
        finally:
            editor.close()
    finally:
        server.close()
    assert read_or_make_token(path) == (token, False)


def test_a_short_token_file_is_refused_not_replaced(tmp_path):
    path = tmp_path / "token"
    path.write_text("short\n")
    with pytest.raises(DreamError, match="at least 16"):
        read_or_make_token(path)
    assert path.read_text() == "short\n"


def test_only_loopback_addresses_count_as_this_machine():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("gpu-box")


def test_a_listener_beyond_this_machine_is_warned_about():
    assert exposure_warning("127.0.0.1", 7823) is None
    warning = exposure_warning("0.0.0.0", 7823)
    assert warning.startswith("WARNING: listening on 0.0.0.0:7823") and "unencrypted" in warning


def test_a_port_in_use_is_one_line(server):
    with pytest.raises(DreamError, match=f"cannot listen on 127.0.0.1:{server.port}: "):
        Server("127.0.0.1", server.port, TOKEN)
