"""Tiles: they cover the picture exactly, stay within their pixel budget, and are few and squarish."""
from __future__ import annotations

import pytest
import torch

from dreamlayer.engine.tiling import MAX_TILE_ASPECT, grid, tiled_gradient, tiles
from dreamlayer.settings import DEFAULT_TILE

pytestmark = pytest.mark.numeric


@pytest.mark.parametrize("height,width", [(768, 1024), (548, 731), (391, 522), (3000, 4000), (2143, 2857),
                                          (64, 2000), (5000, 100), (1, 1), (97, 61)])
def test_tiles_cover_the_picture_once_within_budget(height, width):
    covered = torch.zeros(height, width, dtype=torch.int32)
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
    image = torch.rand(1, 3, 50, 70)
    whole, _ = tiled_gradient(image, lambda x: (x ** 2).sum(), 1000)
    parts, _ = tiled_gradient(image, lambda x: (x ** 2).sum(), 20, shift=(7, -11))
    assert torch.allclose(whole, parts)
