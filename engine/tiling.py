"""Gradients of an objective over big images, a tile at a time, so memory stays bounded."""
from __future__ import annotations

from typing import Callable

import torch

DEFAULT_TILE = 512  # px; a 4000x3000 photo then needs < 2 GiB on the CPU with the default model
MIN_TILE = 64


def auto_tile(tile: int | None) -> int:
    if tile is None:
        return DEFAULT_TILE
    return max(MIN_TILE, int(tile))


def _spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Cover 0..length with spans of at most ``tile``, sized evenly so no sliver tiles appear."""
    count = max(1, -(-length // tile))
    edges = [round(i * length / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def tiled_gradient(image: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor],
                   tile: int) -> tuple[torch.Tensor, float]:
    """d score / d image, summing per-tile gradients, and the area-weighted mean score.

    The caller rolls the image by a random offset every step, so the tile seams move and
    never accumulate into visible lines.
    """
    _, _, height, width = image.shape
    grad = torch.zeros_like(image)
    total = 0.0
    for y0, y1 in _spans(height, tile):
        for x0, x1 in _spans(width, tile):
            part = image[:, :, y0:y1, x0:x1].detach().requires_grad_(True)
            value = score(part)
            value.backward()
            grad[:, :, y0:y1, x0:x1] = part.grad
            total += float(value.detach()) * (y1 - y0) * (x1 - x0)
    return grad, total / (height * width)
