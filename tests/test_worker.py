"""The engine process: pixel conversions, time left, and the real worker over real pipes."""
import queue
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from dreamlayer import protocol
from dreamlayer.engine import wire
from dreamlayer.engine.time_left import TimeLeft
from dreamlayer.engine.models import registry
from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.protocol import Message
from dreamlayer.settings import DreamSettings
from httpserver import FileServer, closed_port_url
from mirror_worker import MODEL as MIRROR_MODEL

WAIT_S = 120.0


def _random_image(width: int, height: int, depth: int, seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    dtype = np.uint8 if depth == 8 else np.dtype("<u2")
    samples = rng.integers(0, 1 << depth, size=(height, width, 4), dtype=np.uint64).astype(dtype)
    return Image(width, height, samples.tobytes(), depth)


@pytest.mark.parametrize("depth", [8, 16])
def test_float_conversion_is_an_exact_inverse(depth):
    image = _random_image(17, 9, depth)
    assert wire.float_to_bytes(wire.image_to_float(image), image) == image.data


def test_every_8_and_16_bit_value_survives_the_round_trip():
    for depth in (8, 16):
        values = np.arange(1 << depth, dtype=np.uint8 if depth == 8 else np.dtype("<u2"))
        rgba = np.repeat(values[:, None], 4, axis=1)[None]
        image = Image(len(values), 1, rgba.tobytes(), depth)
        assert wire.float_to_bytes(wire.image_to_float(image), image) == image.data


def test_alpha_and_kept_pixels_are_copied_byte_for_byte():
    image = _random_image(8, 4, 16, seed=3)
    changed = np.clip(wire.image_to_float(image) + 0.3, 0, 1)
    keep = np.zeros((4, 8), dtype=bool)
    keep[:, :3] = True
    out = np.frombuffer(wire.float_to_bytes(changed, image, keep), dtype="<u2").reshape(4, 8, 4)
    original = np.frombuffer(image.data, dtype="<u2").reshape(4, 8, 4)
    assert np.array_equal(out[..., 3], original[..., 3])
    assert np.array_equal(out[:, :3], original[:, :3])
    assert not np.array_equal(out[:, 3:, :3], original[:, 3:, :3])


def _mask_values(mask: Mask) -> np.ndarray:
    return np.frombuffer(mask.data, dtype=np.uint8).reshape(mask.height, mask.width)


def test_mask_invert_and_feather():
    data = np.zeros((20, 20), dtype=np.uint8)
    data[:, 10:] = 255
    mask = Mask(20, 20, data.tobytes())
    assert wire.effective_mask(mask) == mask
    plain = wire.mask_to_float(mask)
    assert plain.dtype == np.float32 and plain[0, 0] == 0 and plain[0, 19] == 1
    inverted = wire.effective_mask(mask, invert=True)
    assert np.array_equal(_mask_values(inverted), 255 - data)
    assert np.array_equal(wire.mask_to_float(inverted), 1 - plain)
    soft = _mask_values(wire.effective_mask(mask, feather=3))
    assert 0 < soft[5, 9] < 255 and soft[5, 0] == 0 and soft[5, 19] == 255
    assert np.all(np.diff(soft[5].astype(int)) >= 0)
    both = _mask_values(wire.effective_mask(mask, invert=True, feather=3))
    assert np.array_equal(both, soft[:, ::-1]) and both[5, 0] == 255 and both[5, 19] == 0


def test_preview_is_small_opaque_rgba():
    preview = wire.preview_image(np.full((300, 900, 3), 0.5, dtype=np.float32), 128)
    assert (preview.width, preview.height, preview.depth) == (128, 43, 8)
    assert preview.data[:4] == bytes([128, 128, 128, 255])


def test_time_left_weights_later_octaves_by_their_pixels():
    eta = TimeLeft(octave_scale=2.0)
    assert eta.update(1, 20, 2, now=0.0) is None
    # 9 more steps of the small octave took 9 s; the big one is 4x the pixels: 10 steps x 4 s
    assert eta.update(10, 20, 2, now=9.0) == pytest.approx(40.0)
    assert eta.update(20, 20, 2, now=49.0) == 0.0


# --- the real engine process ------------------------------------------------------------------

class WorkerProcess:
    """The worker as the dialog runs it: a child process spoken to over pipes."""

    def __init__(self, *command: str) -> None:
        command = command or ("-m", "dreamlayer.engine.worker")
        self.proc = subprocess.Popen([sys.executable, *command], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox: "queue.Queue[Message | None]" = queue.Queue()
        self.log: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        while (message := protocol.read_message(self.proc.stdout)) is not None:
            self.inbox.put(message)
        self.inbox.put(None)

    def send(self, kind: str, blobs=None, **fields) -> None:
        protocol.write_message(self.proc.stdin, Message(kind, fields, blobs or []))

    def receive(self, timeout: float = WAIT_S) -> Message:
        message = self.inbox.get(timeout=timeout)
        assert message is not None, b"".join(self.log).decode(errors="replace")
        return message

    def until(self, *kinds: str) -> tuple[list[Message], Message]:
        seen = []
        while (message := self.receive()).type not in kinds:
            seen.append(message)
        return seen, message

    def dream(self, request_id: int, image: Image, settings: DreamSettings, mask: Mask | None = None,
              mask_options: dict | None = None, **extra):
        blobs: list[bytes] = []
        fields = {"image": protocol.image_field(image, blobs), "settings": settings.to_dict(), **extra}
        if mask is not None:
            fields["mask"] = dict(protocol.mask_field(mask, blobs), **(mask_options or {}))
        self.send("dream", blobs, id=request_id, **fields)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="module")
def engine():
    process = WorkerProcess()
    hello = process.receive()
    assert hello.type == "hello" and hello["protocol"] == protocol.PROTOCOL_VERSION
    yield process
    process.close()


def test_models_layers_and_labels(engine):
    engine.send("list_models", id=1)
    models = engine.receive()
    default = next(m for m in models["models"] if m["name"] == DreamSettings().model)
    assert models.type == "models" and models["id"] == 1 and default["installed"]
    engine.send("layers", id=2, model=default["name"])
    layers = engine.receive()
    assert layers.type == "layers" and layers["default"] in [layer["name"] for layer in layers["layers"]]
    assert all(layer["channels"] > 0 and layer["hint"] for layer in layers["layers"])
    engine.send("labels", id=3, model=default["name"])
    assert len(engine.receive()["labels"]) == 1000


def test_unknown_model_and_unknown_request_are_one_line_errors(engine):
    engine.send("layers", id=4, model="no-such-net")
    error = engine.receive()
    assert error.type == "error" and error["id"] == 4 and "no-such-net" in error["message"]
    assert "\n" not in error["message"]
    engine.send("paint", id=5)
    assert engine.receive()["message"] == "unknown request 'paint'"


def test_dream_sends_progress_with_preview_and_keeps_masked_out_pixels(engine):
    image = _random_image(96, 64, 8, seed=1)
    mask_data = np.zeros((64, 96), dtype=np.uint8)
    mask_data[:, 48:] = 255
    engine.dream(10, image, DreamSettings(steps=2, octaves=1, jitter=4), Mask(96, 64, mask_data.tobytes()),
                 preview_size=32)
    assert engine.receive().type == "started"
    progress, result = engine.until("result")
    assert [p["step"] for p in progress] == [1, 2] and progress[0]["total"] == 2
    preview = protocol.image_from(progress[0], "preview")
    assert max(preview.width, preview.height) == 32
    out = protocol.image_from(result)
    assert (out.width, out.height, out.depth) == (96, 64, 8)
    got = np.frombuffer(out.data, dtype=np.uint8).reshape(64, 96, 4)
    original = np.frombuffer(image.data, dtype=np.uint8).reshape(64, 96, 4)
    assert np.array_equal(got[..., 3], original[..., 3])
    assert np.array_equal(got[:, :48], original[:, :48])
    assert not np.array_equal(got[:, 48:, :3], original[:, 48:, :3])
    assert protocol.mask_from(result) == Mask(96, 64, mask_data.tobytes())


def test_result_carries_the_inverted_feathered_mask_the_dream_was_blended_with(engine):
    image = _random_image(64, 40, 8, seed=4)
    selection = np.zeros((40, 64), dtype=np.uint8)
    selection[:, :32] = 255
    engine.dream(14, image, DreamSettings(steps=1, octaves=1), Mask(64, 40, selection.tobytes()),
                 mask_options={"invert": True, "feather": 2.0})
    _, result = engine.until("result", "error")
    used = protocol.mask_from(result)
    assert (used.width, used.height) == (64, 40)
    values = _mask_values(used)
    assert np.all(values[:, :24] == 0) and np.all(values[:, 40:] == 255)
    assert 0 < values[20, 31] < 128 < values[20, 32] < 255
    assert np.all(np.diff(values[20].astype(int)) >= 0)
    got = np.frombuffer(protocol.image_from(result).data, dtype=np.uint8).reshape(40, 64, 4)
    original = np.frombuffer(image.data, dtype=np.uint8).reshape(40, 64, 4)
    assert np.array_equal(got[values == 0], original[values == 0])
    assert not np.array_equal(got[values == 255], original[values == 255])


def test_a_small_selection_is_dreamed_in_its_region_and_the_result_says_where(engine):
    image = _random_image(256, 192, 8, seed=5)
    selection = np.zeros((192, 256), dtype=np.uint8)
    selection[80:100, 100:130] = 255
    engine.dream(15, image, DreamSettings(steps=1, octaves=1), Mask(256, 192, selection.tobytes()))
    _, result = engine.until("result", "error")
    # the selection's box with 64 px of context on every side (engine/region.py)
    assert result["region"] == [36, 16, 158, 148] and protocol.region_from(result.fields) == Bounds(36, 16, 158, 148)
    got = np.frombuffer(protocol.image_from(result).data, dtype=np.uint8).reshape(192, 256, 4)
    original = np.frombuffer(image.data, dtype=np.uint8).reshape(192, 256, 4)
    outside = np.ones((192, 256), dtype=bool)
    outside[16:164, 36:194] = False
    assert np.array_equal(got[outside], original[outside])
    assert not np.array_equal(got[80:100, 100:130], original[80:100, 100:130])
    engine.dream(16, image, DreamSettings(steps=1, octaves=1))
    _, whole = engine.until("result", "error")
    assert whole["region"] is None and protocol.region_from(whole.fields) is None


def _soft_mask(width: int, height: int) -> Mask:
    """Unselected left third, a ramp across the middle third, fully selected right third."""
    ramp = np.clip((np.arange(width) - width / 3) * 255 / (width / 3), 0, 255).astype(np.uint8)
    return Mask(width, height, np.tile(ramp, (height, 1)).tobytes())


def _levels(image: Image) -> np.ndarray:
    dtype = np.uint8 if image.depth == 8 else np.dtype("<u2")
    return np.frombuffer(image.data, dtype=dtype).reshape(image.height, image.width, 4).astype(np.int64)


def test_the_unmasked_dream_is_what_the_mask_mixed_in():
    from dreamlayer.engine import dream

    image = wire.image_to_float(_random_image(48, 32, 8, seed=5))
    weights = wire.mask_to_float(_soft_mask(48, 32))
    result = dream(image, DreamSettings(steps=2, octaves=1), mask=weights, unmasked=True)
    assert result.unmasked is not None and "unmasked" not in result.report()
    mixed = image + (result.unmasked - image) * weights[..., None]
    assert np.allclose(result.image, mixed, atol=1e-5)
    soft = (weights > 0.2) & (weights < 0.8)
    assert np.abs(result.unmasked - image)[soft].mean() > 1.5 * np.abs(result.image - image)[soft].mean()
    assert dream(image, DreamSettings(steps=1, octaves=1), mask=weights).unmasked is None


@pytest.mark.parametrize("depth", [8, 16])
def test_result_forms_layer_is_the_pure_dream_and_blended_its_mix_by_the_mask(engine, depth):
    image = _random_image(60, 24, depth, seed=6)
    mask = _soft_mask(60, 24)
    engine.dream(30, image, DreamSettings(steps=2, octaves=1), mask, result="layer", blended_too=True)
    _, result = engine.until("result", "error")
    assert result["result"] == "layer"
    layer, blended = _levels(protocol.image_from(result)), _levels(protocol.image_from(result, "blended"))
    source, weights = _levels(image), wire.mask_to_float(mask)[..., None]
    assert np.array_equal(layer[..., 3], source[..., 3]) and np.array_equal(blended[..., 3], source[..., 3])
    outside = weights[..., 0] == 0
    assert np.array_equal(blended[outside], source[outside])  # byte-identical where the mask is 0
    lerp = source[..., :3] + (layer[..., :3] - source[..., :3]) * weights
    assert np.abs(blended[..., :3] - lerp).max() <= 1  # each rounded once
    full = weights[..., 0] == 1
    assert np.array_equal(layer[full], blended[full])
    soft = (weights[..., 0] > 0.2) & (weights[..., 0] < 0.8)
    assert np.abs(layer - source)[soft].mean() > 1.5 * np.abs(blended - source)[soft].mean()

    engine.dream(31, image, DreamSettings(steps=2, octaves=1), mask, result="difference", by_alpha=True)
    _, result = engine.until("result", "error")
    top = (1 << depth) - 1
    difference = _levels(protocol.image_from(result))
    assert result["result"] == "difference" and "blended" not in result.fields
    assert np.all(difference[..., 3] == top)
    wanted = top / 2 + source[..., 3:] * (layer[..., :3] - source[..., :3]) / (2 * top)
    assert np.abs(difference[..., :3] - wanted).max() <= 0.5 + 1e-9


def test_an_unknown_result_form_is_a_one_line_error(engine):
    engine.dream(32, _random_image(8, 8, 8), DreamSettings(steps=1, octaves=1), result="unblended")
    _, error = engine.until("error")
    assert error["id"] == 32 and error["message"].startswith("unknown result form 'unblended'")


@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("by_alpha", [True, False])
def test_difference_layer_is_half_the_change_scaled_by_alpha(depth, by_alpha):
    source = _random_image(30, 10, depth, seed=7)
    dream = np.random.default_rng(8).random((10, 30, 3), dtype=np.float32)
    top = (1 << depth) - 1
    out = _levels(Image(30, 10, wire.difference_layer(source, dream, by_alpha), depth))
    change = np.rint(dream * top) - _levels(source)[..., :3]
    weight = _levels(source)[..., 3:] / top if by_alpha else 1.0
    assert np.all(out[..., 3] == top)
    assert np.abs(out[..., :3] - np.clip(top / 2 + weight * change / 2, 0, top)).max() <= 0.5 + 1e-9
    unchanged = _levels(Image(30, 10, wire.difference_layer(source, wire.image_to_float(source), by_alpha), depth))
    assert np.all(np.abs(unchanged[..., :3] - top / 2) <= 0.5)


def test_sixteen_bit_dream_comes_back_sixteen_bit(engine):
    image = _random_image(40, 30, 16, seed=2)
    engine.dream(11, image, DreamSettings(steps=1, octaves=1))
    _, result = engine.until("result", "error")
    out = protocol.image_from(result)
    assert out.depth == 16 and len(out.data) == len(image.data)
    assert result["mask"] is None and protocol.mask_from(result) is None
    def alpha(img):
        return np.frombuffer(img.data, dtype="<u2").reshape(30, 40, 4)[..., 3]

    assert np.array_equal(alpha(out), alpha(image))


def test_cancel_stops_within_a_step(engine):
    engine.dream(12, _random_image(96, 64, 8), DreamSettings(steps=200, octaves=1))
    assert engine.receive().type == "started"
    first = engine.receive()
    assert first.type == "progress"
    engine.send("cancel", id=13, target=12)
    seen, end = engine.until("cancelled", "result", "error")
    assert end.type == "cancelled" and end["id"] == 12
    assert len(seen) <= 2 and max([p["step"] for p in seen] + [first["step"]]) < 200


def test_bad_settings_and_mismatched_mask_are_reported_and_the_engine_keeps_serving(engine):
    image = _random_image(16, 16, 8)
    engine.dream(20, image, DreamSettings(model="no-such-net", steps=1, octaves=1))
    _, error = engine.until("error")
    assert error["id"] == 20 and "no-such-net" in error["message"]
    engine.dream(21, image, DreamSettings(steps=1, octaves=1), Mask(4, 4, bytes(16)))
    _, error = engine.until("error")
    assert error["message"] == "the mask is 4x4 but the image is 16x16"
    engine.send("hello", id=22)
    assert engine.receive()["id"] == 22


def test_shutdown_says_bye_and_exits():
    process = WorkerProcess()
    try:
        assert process.receive().type == "hello"
        process.send("shutdown", id=1)
        assert process.receive().type == "bye"
        assert process.proc.wait(timeout=30) == 0
    finally:
        process.close()


def test_engine_exits_when_the_editor_goes_away_mid_dream():
    process = WorkerProcess()
    try:
        assert process.receive().type == "hello"
        process.dream(1, _random_image(64, 64, 8), DreamSettings(steps=500, octaves=1))
        process.until("progress")
        process.proc.stdin.close()
        assert process.proc.wait(timeout=60) == 0
    finally:
        process.close()


def test_garbage_on_stdin_is_reported_before_exiting():
    process = WorkerProcess()
    try:
        assert process.receive().type == "hello"
        process.proc.stdin.write(b"print('hi')\n")
        process.proc.stdin.flush()
        error = process.receive()
        assert error.type == "error" and "garbled" in error["message"]
        assert process.proc.wait(timeout=30) == 3
    finally:
        process.close()


def test_pull_model_downloads_with_progress_and_the_model_is_then_installed(cache, monkeypatch):
    weights = Path(registry.weights_path(registry.get("efficientnet-lite0"))).read_bytes()
    with FileServer(weights, "/lite0.pth") as server:
        monkeypatch.setenv("DREAMLAYER_TEST_MIRROR", server.url)
        process = WorkerProcess(str(Path(__file__).with_name("mirror_worker.py")))
        try:
            assert process.receive().type == "hello"
            process.send("list_models", id=1)
            listed = {m["name"]: m for m in process.receive()["models"]}
            assert not listed[MIRROR_MODEL]["installed"] and listed[MIRROR_MODEL]["downloadable"]
            process.send("pull_model", id=2, model=MIRROR_MODEL)
            progress, pulled = process.until("pulled", "error")
            assert pulled.type == "pulled" and pulled["model"] == MIRROR_MODEL, pulled.fields
            assert progress and progress[-1]["done"] == progress[-1]["total"] == len(weights)
            assert all(p["id"] == 2 for p in progress)
            process.send("list_models", id=3)
            assert {m["name"]: m for m in process.receive()["models"]}[MIRROR_MODEL]["installed"]
            process.send("pull_model", id=4, model="no-such-net")
            assert "no-such-net" in process.receive()["message"]
        finally:
            process.close()


def test_pull_from_an_unreachable_mirror_is_a_one_line_error(cache, monkeypatch):
    monkeypatch.setenv("DREAMLAYER_TEST_MIRROR", closed_port_url())
    process = WorkerProcess(str(Path(__file__).with_name("mirror_worker.py")))
    try:
        assert process.receive().type == "hello"
        process.send("pull_model", id=1, model=MIRROR_MODEL)
        _, error = process.until("error", "pulled")
        assert error.type == "error" and error["id"] == 1
        assert error["message"].startswith(f"Could not download {MIRROR_MODEL}") and "\n" not in error["message"]
    finally:
        process.close()


def test_layers_carry_the_atlas_pictures_painted_so_far(cache):
    from PIL import Image as PILImage

    from dreamlayer.engine.visualize.atlas import cache_path

    model = DreamSettings().model
    for channel in (None, 5):
        path = cache_path(model, "blocks.3", channel)
        path.parent.mkdir(parents=True, exist_ok=True)
        PILImage.new("RGB", (128, 128), (200, 30, 30)).save(path)
    process = WorkerProcess()
    try:
        assert process.receive().type == "hello"
        process.send("layers", id=1, model=model)
        layers = {layer["name"]: layer for layer in process.receive()["layers"]}
        assert layers["blocks.3"]["thumbnail"] == str(cache_path(model, "blocks.3", None))
        assert layers["blocks.3"]["channel_thumbnails"] == {"5": str(cache_path(model, "blocks.3", 5))}
        assert "thumbnail" not in layers["blocks.4"] and "channel_thumbnails" not in layers["blocks.4"]
    finally:
        process.close()


# --- hostile or broken requests: always an answer, never a silent death --------------------------

HOSTILE = {
    "infinite id": b'{"type":"hello","blobs":[],"id":1e999}',
    "NaN id": b'{"type":"hello","blobs":[],"id":NaN}',
    "nested 100000 deep": b'{"type":"hello","blobs":[],"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a 1 TiB blob": b'{"type":"dream","blobs":[1099511627776],"id":1}',
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_frame_is_answered_with_an_error_and_a_clean_exit(name):
    process = WorkerProcess()
    try:
        assert process.receive().type == "hello"
        header = HOSTILE[name]
        process.proc.stdin.write(struct.pack(">2sI", b"DL", len(header)) + header)
        process.proc.stdin.flush()
        error = process.receive(timeout=60)
        assert error.type == "error" and error["id"] is None and "garbled" in error["message"]
        assert "\n" not in error["message"]
        assert process.proc.wait(timeout=30) == 3
        assert b"Traceback" not in b"".join(process.log)
    finally:
        process.close()


def test_settings_out_of_range_are_named_not_a_numeric_failure(engine):
    image = _random_image(16, 16, 8)
    engine.dream(30, image, DreamSettings(steps=1, octaves=3, octave_scale=1e200))
    _, error = engine.until("error", "result")
    assert error.type == "error" and error["id"] == 30
    assert "octave scale must be at most" in error["message"] and "engine failed" not in error["message"]
    blobs: list[bytes] = []
    engine.send("dream", blobs, id=31, image=protocol.image_field(image, blobs),
                settings=dict(DreamSettings().to_dict(), steps="10"))
    _, error = engine.until("error", "result")
    assert error.type == "error" and error["id"] == 31 and "steps must be a whole number" in error["message"]


def test_a_selection_covering_no_pixel_or_an_empty_image_is_a_clear_error(engine):
    engine.dream(32, _random_image(16, 16, 8), DreamSettings(steps=1, octaves=1), Mask(16, 16, bytes(256)))
    _, error = engine.until("error", "result")
    assert error.type == "error" and "covers no pixel" in error["message"]
    full = Mask(16, 16, bytes([255]) * 256)
    engine.dream(34, _random_image(16, 16, 8), DreamSettings(steps=1, octaves=1), full, mask_options={"invert": True})
    _, error = engine.until("error", "result")
    assert error.type == "error" and "covers no pixel" in error["message"]
    engine.dream(33, Image(0, 0, b"", 8), DreamSettings(steps=1, octaves=1))
    _, error = engine.until("error", "result")
    assert error.type == "error" and "0x0" in error["message"] and "division" not in error["message"]


def _pull_error(timeout: float = 60.0) -> Message:
    process = WorkerProcess(str(Path(__file__).with_name("mirror_worker.py")))
    try:
        assert process.receive().type == "hello"
        process.send("pull_model", id=1, model=MIRROR_MODEL)
        deadline = time.monotonic() + timeout
        while True:
            message = process.receive(timeout=max(0.1, deadline - time.monotonic()))
            if message.type in ("error", "pulled"):
                return message
    finally:
        process.close()


def test_pull_into_a_cache_that_cannot_be_written_ends_in_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DREAMLAYER_CACHE", str(blocker / "cache"))
    with FileServer(b"weights", "/lite0.pth") as server:
        monkeypatch.setenv("DREAMLAYER_TEST_MIRROR", server.url)
        error = _pull_error()
    assert error.type == "error" and error["id"] == 1
    assert error["message"].startswith(f"Could not download {MIRROR_MODEL}: cannot write {blocker}")
    assert "\n" not in error["message"]


def test_pull_from_a_server_with_a_wrong_content_range_ends_in_an_error(cache, monkeypatch):
    with FileServer(b"w" * 1000, "/lite0.pth", wrong_range=True) as server:
        monkeypatch.setenv("DREAMLAYER_TEST_MIRROR", server.url)
        error = _pull_error()
    assert error.type == "error" and error["id"] == 1 and "resumed at byte 1 instead of 0" in error["message"]
