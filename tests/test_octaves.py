"""The octave schedule: a pattern size makes the look independent of the picture's size, and a
preview climbs the octaves Apply will."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import small_photo
from dreamlayer.engine import dream
from dreamlayer.engine.octaves import MIN_OCTAVE_SIDE, PATTERN_SIDE, schedule
from dreamlayer.settings import DreamSettings

pytestmark = pytest.mark.numeric


def test_pattern_size_one_is_the_classic_schedule_at_1024_px():
    assert schedule(768, 1024, DreamSettings()) == schedule(768, 1024, DreamSettings(octaves=4))


def test_the_coarsest_octave_has_the_same_share_of_the_picture_at_any_size():
    for longest in (600, 1024, 2000, 4000, 9000):
        sizes = schedule(longest * 3 // 4, longest, DreamSettings())
        assert abs(sizes[0][1] - PATTERN_SIDE) <= 1, (longest, sizes)
        assert sizes[-1] == (longest * 3 // 4, longest)
        ratios = [b[1] / a[1] for a, b in zip(sizes, sizes[1:]) if b != a]
        assert all(1.15 < r < 1.7 for r in ratios), (longest, sizes)


def test_a_larger_pattern_size_starts_from_a_smaller_octave():
    coarsest = [schedule(3000, 4000, DreamSettings(pattern_size=p))[0][1] for p in (0.5, 1, 2, 4)]
    assert coarsest == [round(PATTERN_SIDE * 2), round(PATTERN_SIDE), round(PATTERN_SIDE / 2), round(PATTERN_SIDE / 4)]


def test_a_preview_shares_apply_s_coarse_octaves_and_never_exceeds_its_own_size():
    for longest in (1024, 4000):
        applied = schedule(longest * 3 // 4, longest, DreamSettings())
        preview = schedule(384, 512, DreamSettings(), reference=longest)
        assert preview[0] == applied[0]
        assert all(h <= 384 and w <= 512 for h, w in preview)
        assert preview[-1] == (384, 512)
        shared = [s for s in applied if s[1] < 512]
        assert preview[:len(shared)] == shared


def test_a_small_picture_is_dreamed_enlarged_with_the_classic_number_of_steps():
    sizes = schedule(120, 160, DreamSettings())
    assert sizes == [(280, 373)] * 4


def test_a_crop_is_scheduled_relative_to_the_whole_picture():
    whole = schedule(3000, 4000, DreamSettings())
    crop = schedule(600, 800, DreamSettings(), longest=4000)  # a fifth of the picture, at full resolution
    kept = [(round(h * 600 / 3000), round(w * 800 / 4000)) for h, w in whole]
    assert crop == [s for s in kept if min(s) >= MIN_OCTAVE_SIDE]


def test_small_picture_keeps_its_size_and_pixels_outside_the_mask():
    pixels = small_photo(64, 48)
    mask = np.zeros((48, 64), np.float32)
    mask[:, 32:] = 1
    result = dream(pixels.astype(np.float32) / 255, DreamSettings(steps=3, step_size=0.02), mask=mask)
    out = (result.image * 255).round().astype(np.uint8)
    assert out.shape == pixels.shape
    assert np.array_equal(out[:, :32], pixels[:, :32])
    assert np.abs(out[:, 32:].astype(int) - pixels[:, 32:]).mean() > 1


def _added(picture: np.ndarray, source: np.ndarray) -> np.ndarray:
    return ((picture - source) @ np.array([0.299, 0.587, 0.114], np.float32))


def _shrink(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray((picture * 255).round().astype(np.uint8)).resize(size, Image.LANCZOS)
    return np.asarray(image, dtype=np.float32) / 255


def _agreement(settings: DreamSettings) -> float:
    """Correlation of what the dream added in a half-size preview and in Apply seen at that size,
    both blurred to the scale of the dream's larger shapes."""
    from scipy.ndimage import gaussian_filter

    source = small_photo(384, 288).astype(np.float32) / 255
    small = _shrink(source, (192, 144))
    preview = dream(small, settings, preview_of=384).image
    applied = _shrink(dream(source, settings).image, (192, 144))
    a = gaussian_filter(_added(preview, small), 2.0)
    b = gaussian_filter(_added(applied, small), 2.0)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_the_preview_predicts_apply_better_than_a_fixed_octave_count():
    """Scaled down from the dialog's 512 px preview of a 1024 px picture: the coarsest octave at
    96 px of a 384 px picture is the default's 373 px of 1492 px."""
    pattern = DreamSettings(pattern_size=PATTERN_SIDE / 96, steps=4, step_size=0.01)
    fixed = DreamSettings(octaves=4, steps=4, step_size=0.01)
    with_pattern, with_fixed = _agreement(pattern), _agreement(fixed)
    assert with_pattern > 0.5, with_pattern
    assert with_pattern > with_fixed + 0.15, (with_pattern, with_fixed)
