"""Tiles: they cover the picture exactly, stay within their pixel budget, and are few and squarish."""
from __future__ import annotations

import numpy as np
import pytest

from dreamlayer.engine.tiling import MAX_TILE_ASPECT, grid, tiled_gradient, tiles
from dreamlayer.settings import DEFAULT_TILE

pytestmark = pytest.mark.numeric


@pytest.mark.parametrize("height,width", [(768, 1024), (548, 731), (391, 522), (3000, 4000), (2143, 2857),
                                          (64, 2000), (5000, 100), (1, 1), (97, 61)])
def test_tiles_cover_the_picture_once_within_budget(height, width):
    covered = np.zeros((height, width), dtype=np.int32)
    parts = tiles(height, width, DEFAULT_TILE)
    for y0, y1, x0, x1 in parts:
        covered[y0:y1, x0:x1] += 1
        assert (y1 - y0) * (x1 - x0) <= DEFAULT_TILE ** 2
        long_side, short_side = max(y1 - y0, x1 - x0), min(y1 - y0, x1 - x0)
        assert long_side <= max(MAX_TILE_ASPECT, max(height, width) / min(height, width)) * short_side
    assert bool((covered == 1).all())
    assert len(parts) >= -(-height * width // DEFAULT_TILE ** 2)


def test_tiles_by_area_not_by_edge():
    assert grid(391, 522, 460) == (1, 1)  # wider than 460 px, yet one tile of 0.2 MP
    assert grid(548, 731, 460) == (1, 2)  # two 366x548 tiles, not four
    assert grid(768, 1024, 460) == (2, 2)
    assert grid(3000, 4000, 460) == (6, 10)  # 500x400 tiles, not slivers


def test_tiled_gradient_equals_the_whole_one_for_a_pointwise_score():
    image = np.random.default_rng(0).random((1, 3, 50, 70), dtype=np.float32)

    def squares(x: np.ndarray) -> tuple[np.ndarray, float]:  # d sum(x^2) / dx, and mean(x^2) as the score
        return 2 * x, float((x ** 2).mean())

    whole, whole_value = tiled_gradient(image, squares, 1000)
    parts, parts_value = tiled_gradient(image, squares, 20, shift=(7, -11))
    np.testing.assert_allclose(whole, 2 * image)
    np.testing.assert_allclose(parts, whole)
    assert parts_value == pytest.approx(whole_value, rel=1e-5)


def test_a_tile_wrapping_around_both_edges_is_read_as_the_rolled_picture():
    image = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(1, 3, 8, 5)[:, :, :8]
    seen = []

    def record(x: np.ndarray) -> tuple[np.ndarray, float]:
        seen.append(x.copy())
        return np.zeros_like(x), 0.0

    tiled_gradient(image, record, 1000, shift=(3, -2))
    np.testing.assert_array_equal(seen[0], np.roll(image, (3, -2), (2, 3)))
    assert seen[0].flags.c_contiguous
