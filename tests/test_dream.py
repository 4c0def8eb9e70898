"""The dream on the real default model: it works, it is exact where masked, it is repeatable."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import small_photo
from dreamlayer.engine import DreamCancelled, DreamError, dream
from dreamlayer.engine.imageio import quantize
from dreamlayer.engine.models import registry
from dreamlayer.settings import DreamSettings

pytestmark = pytest.mark.numeric

FAST = dict(octaves=2, steps=3)  # small pictures and few steps keep the tests fast
SAME_BYTES = dict(device="cpu")  # a GPU without deterministic algorithms may add sums in another order each run


def as_float(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 255


def test_objective_rises_on_default_layer():
    result = dream(as_float(small_photo(128, 96)), DreamSettings(octaves=1, steps=5))
    assert result.layers == [registry.default_layer("efficientnet-lite0")]
    assert result.objective_after > 1.2 * result.objective_before
    assert result.image.shape == (96, 128, 3)
    assert result.steps == 5


def test_black_mask_is_byte_identical_and_soft_mask_is_partial():
    pixels = small_photo()
    mask = np.zeros((72, 96), np.float32)
    mask[:, 48:72] = 0.4
    mask[:, 72:] = 1.0
    strong = DreamSettings(octaves=2, steps=3, step_size=0.03)
    out = quantize(dream(as_float(pixels), strong, mask=mask).image, 8)
    assert np.array_equal(out[:, :48], pixels[:, :48])
    diff = np.abs(out.astype(int) - pixels.astype(int)).mean(axis=(0, 2))
    assert diff[52:68].mean() > 1.0, "grey mask area should change"
    assert diff[76:].mean() > 1.5 * diff[52:68].mean(), "white should change more than grey"


def test_same_seed_same_bytes_other_seed_differs():
    image = as_float(small_photo())
    first = quantize(dream(image, DreamSettings(seed=3, **FAST, **SAME_BYTES)).image, 8)
    again = quantize(dream(image, DreamSettings(seed=3, **FAST, **SAME_BYTES)).image, 8)
    other = quantize(dream(image, DreamSettings(seed=4, **FAST, **SAME_BYTES)).image, 8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_tiles_keep_size_and_still_dream():
    image = as_float(small_photo(160, 120))
    result = dream(image, DreamSettings(tile=80, octaves=1, steps=5))  # 2x2 tiles
    assert result.image.shape == image.shape
    assert result.objective_after > 1.1 * result.objective_before


def test_progress_every_step_and_cancel():
    seen = []

    def record(progress):
        seen.append((progress.step, progress.total))
        assert progress.preview().shape[2] == 3

    dream(as_float(small_photo()), DreamSettings(**FAST), progress=record)
    assert seen == [(i, 6) for i in range(1, 7)]
    with pytest.raises(DreamCancelled):
        dream(as_float(small_photo()), DreamSettings(**FAST), progress=lambda p: p.step < 2)


def test_forward_stops_at_the_deepest_needed_layer():
    net = registry.load("efficientnet-lite0", torch.device("cpu"))
    calls = []
    handle = net.net._blocks[12].register_forward_hook(lambda *a: calls.append(1))
    try:
        acts = net.activations(torch.rand(1, 3, 64, 64), {"blocks.3", "blocks.5"})
        assert set(acts) == {"blocks.3", "blocks.5"} and not calls
        net.activations(torch.rand(1, 3, 64, 64), {"logits"})
        assert calls
    finally:
        handle.remove()


@pytest.mark.parametrize("settings, message", [
    (DreamSettings(layers=["blocks.99"]), "no layer 'blocks.99'"),
    (DreamSettings(model="nonet"), "unknown model 'nonet'"),
    (DreamSettings(octaves=0), "octaves must be at least 1"),
    (DreamSettings(objective="blocks.9:4000"), "channel 4000 out of range for blocks.9: it has channels 0..111"),
])
def test_bad_settings_are_one_line_errors(settings, message):
    with pytest.raises(DreamError, match=message.replace(".", r"\.").replace("(", r"\(")) as info:
        dream(as_float(small_photo(40, 30)), settings)
    assert "\n" not in str(info.value)


def test_mask_size_must_match():
    with pytest.raises(DreamError, match="mask is 10x10 but the image is 40x30"):
        dream(as_float(small_photo(40, 30)), DreamSettings(**FAST), mask=np.ones((10, 10), np.float32))


def test_small_selection_dreams_only_its_box_with_context():
    """A selection far smaller than the picture is dreamed as its own crop plus context: the
    result is exactly the crop's dream pasted back, and nothing outside the selection moves."""
    pixels = small_photo(320, 240)
    mask = np.zeros((240, 320), np.float32)
    mask[100:140, 150:190] = 1.0  # 40x40: the box is 40 px + 64 px context on each side
    settings = DreamSettings(step_size=0.03, **FAST, **SAME_BYTES)  # two dreams compared byte for byte
    result = dream(as_float(pixels), settings, mask=mask)
    assert result.region == (86, 36, 168, 168)
    assert (result.width, result.height) == (320, 240)
    out = quantize(result.image, 8)
    outside = mask == 0
    assert np.array_equal(out[outside], pixels[outside])
    assert np.abs(out[100:140, 150:190].astype(int) - pixels[100:140, 150:190].astype(int)).mean() > 2.0
    crop = (slice(36, 204), slice(86, 254))
    alone = dream(as_float(pixels)[crop], settings, mask=mask[crop])
    assert alone.region is None
    assert np.array_equal(out[crop], quantize(alone.image, 8))


def test_selection_covering_most_of_the_picture_dreams_all_of_it():
    mask = np.zeros((72, 96), np.float32)
    mask[10:60, 10:80] = 1.0  # with its context the box would be the whole picture
    result = dream(as_float(small_photo()), DreamSettings(octaves=1, steps=1), mask=mask)
    assert result.region is None


def test_previews_of_a_cropped_dream_show_the_whole_picture():
    pixels = small_photo(320, 240)
    mask = np.zeros((240, 320), np.float32)
    mask[100:140, 150:190] = 1.0
    shapes = []
    dream(as_float(pixels), DreamSettings(octaves=2, steps=2), mask=mask,  # the first octave is smaller
          progress=lambda p: shapes.append(p.preview().shape))
    assert shapes == [(240, 320, 3)] * 4
