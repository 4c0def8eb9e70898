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


def tiles(height: int, width: int, tile: int) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of every tile of an image, row by row."""
    return [(y0, y1, x0, x1) for y0, y1 in _spans(height, tile) for x0, x1 in _spans(width, tile)]


def _source(start: int, stop: int, shift: int, length: int, device: torch.device) -> slice | torch.Tensor:
    """Where positions start..stop of an axis rolled by ``shift`` lie in the unrolled axis."""
    begin = (start - shift) % length
    if begin + stop - start <= length:
        return slice(begin, begin + stop - start)
    return (torch.arange(start, stop, device=device) - shift) % length


def _window(image: torch.Tensor, y0: int, y1: int, x0: int, x1: int, shift: tuple[int, int]) -> tuple:
    """An index into ``image`` for tile (y0, y1, x0, x1) of the image rolled by ``shift``."""
    _, _, height, width = image.shape
    ys = _source(y0, y1, shift[0], height, image.device)
    xs = _source(x0, x1, shift[1], width, image.device)
    if isinstance(ys, torch.Tensor) and isinstance(xs, torch.Tensor):
        ys = ys[:, None]  # both wrap: index rows and columns as a grid
    return (slice(None), slice(None), ys, xs)


def tiled_gradient(image: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor], tile: int,
                   shift: tuple[int, int] = (0, 0)) -> tuple[torch.Tensor, float]:
    """d score / d image, summing per-tile gradients, and the area-weighted mean score.

    The tiles are those of the image rolled by ``shift`` (dy, dx), as ``torch.roll`` would, and
    the gradient comes back unrolled; the caller picks a random shift every step, so the tile
    seams move and never accumulate into visible lines. Reading the tiles through the roll
    instead of rolling the picture saves two full-size copies per step.
    """
    _, _, height, width = image.shape
    grad = torch.empty_like(image)
    total = 0.0
    for y0, y1, x0, x1 in tiles(height, width, tile):
        window = _window(image, y0, y1, x0, x1, shift)
        part = image[window].detach().requires_grad_(True)
        value = score(part)
        value.backward()
        grad[window] = part.grad
        total += float(value.detach()) * (y1 - y0) * (x1 - x0)
    return grad, total / (height * width)


def tiled_value(image: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor], tile: int) -> float:
    """The area-weighted mean score over the same tiles, forward only (no graph is kept)."""
    _, _, height, width = image.shape
    total = 0.0
    with torch.no_grad():
        for y0, y1, x0, x1 in tiles(height, width, tile):
            total += float(score(image[:, :, y0:y1, x0:x1])) * (y1 - y0) * (x1 - x0)
    return total / (height * width)
