"""Gradients of an objective over big images, a tile at a time, so memory stays bounded."""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Optional

import numpy as np

from dreamlayer.settings import DEFAULT_TILE

from .lanes import Lanes

# A tile (1 x 3 x h x w float32, contiguous) -> d score / d tile and the score: what a backend supplies.
Gradient = Callable[[np.ndarray], tuple[np.ndarray, float]]
Value = Callable[[np.ndarray], float]

MIN_TILE = 64
SPLIT_FROM = 2 * MIN_TILE  # px: smaller pictures stay one tile even where lanes could share them
MAX_TILE_ASPECT = 2.0  # thin tiles see little context across and lose speed


def auto_tile(tile: int | None) -> int:
    if tile is None:
        return DEFAULT_TILE
    return max(MIN_TILE, int(tile))


def _spans(length: int, count: int) -> list[tuple[int, int]]:
    """Cover 0..length with ``count`` spans sized evenly, so no sliver tiles appear."""
    edges = [round(i * length / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


@lru_cache(maxsize=256)
def grid(height: int, width: int, tile: int, at_least: int = 1) -> tuple[int, int]:
    """Rows and columns of tiles: the fewest tiles (``at_least`` of them) of at most ``tile**2``
    pixels and no longer than twice their width (or than the picture's own shape), the squarest
    among equals. By area, not edge: per-tile overhead is fixed, so a 522x391 octave is one
    tile, not two, unless two lanes (``engine/lanes.py``) can compute two at once."""
    budget = tile * tile
    stretch = max(MAX_TILE_ASPECT, max(height, width) / min(height, width))
    count = max(1, at_least, -(-height * width // budget))
    while True:
        fits = []
        for rows in range(1, min(count, height) + 1):
            cols = count // rows
            if rows * cols != count or cols > width:
                continue
            tile_h, tile_w = -(-height // rows), -(-width // cols)
            if tile_h * tile_w <= budget and max(tile_h, tile_w) <= stretch * min(tile_h, tile_w):
                fits.append((tile_h + tile_w, rows, cols))
        if fits:
            _, rows, cols = min(fits)
            return rows, cols
        count += 1


def tiles(height: int, width: int, tile: int, at_least: int = 1) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of every tile of an image, row by row."""
    rows, cols = grid(height, width, tile, at_least)
    return [(y0, y1, x0, x1) for y0, y1 in _spans(height, rows) for x0, x1 in _spans(width, cols)]


def _lane_tiles(height: int, width: int, tile: int, lanes: Optional[Lanes]) -> list[tuple[int, int, int, int]]:
    """The tiles for ``lanes``: they share the tile budget, so the tiles in flight hold no more
    memory than one tile alone (a second 460 px tile raised a 12 MP dream's peak by 260-425 MiB),
    and a picture is cut into at least one tile per lane where each still holds a
    ``SPLIT_FROM``-pixel square (a small octave as two tiles side by side took 18-24 % less time
    than as one, torch and ONNX Runtime, 2 cores, 200x266 to 392x522)."""
    if lanes is None:
        return tiles(height, width, tile)
    split = height * width >= lanes.count * SPLIT_FROM ** 2
    return tiles(height, width, max(MIN_TILE, round(tile / math.sqrt(lanes.count))), lanes.count if split else 1)


Pieces = list[tuple[slice, slice]]


def _pieces(start: int, stop: int, shift: int, length: int) -> Pieces:
    """Positions start..stop of an axis rolled by ``shift``: (slice in the image, slice in the tile)
    pairs, one, or two where the tile wraps around the edge."""
    begin = (start - shift) % length
    size = stop - start
    first = min(size, length - begin)
    pieces = [(slice(begin, begin + first), slice(0, first))]
    if first < size:
        pieces.append((slice(0, size - first), slice(first, size)))
    return pieces


def _read(image: np.ndarray, ys: Pieces, xs: Pieces) -> np.ndarray:
    """The tile as a contiguous array: its pieces joined where it wraps around the edge."""
    rows = [np.concatenate([image[:, :, y, x] for x, _ in xs], axis=3) if len(xs) > 1 else image[:, :, y, xs[0][0]]
            for y, _ in ys]
    return np.ascontiguousarray(rows[0] if len(rows) == 1 else np.concatenate(rows, axis=2))


def _write(grad: np.ndarray, ys: Pieces, xs: Pieces, value: np.ndarray) -> None:
    for y, tile_y in ys:
        for x, tile_x in xs:
            grad[:, :, y, x] = value[:, :, tile_y, tile_x]


def tiled_gradient(image: np.ndarray, gradient: Gradient, tile: int,
                   shift: tuple[int, int] = (0, 0), lanes: Optional[Lanes] = None) -> tuple[np.ndarray, float]:
    """d score / d image, assembled from per-tile gradients, and the area-weighted mean score.

    The tiles are those of the image rolled by ``shift`` (dy, dx), as ``np.roll`` would, and
    the gradient comes back unrolled; the caller picks a random shift every step, so the tile
    seams move and never accumulate into visible lines. Reading the tiles through the roll
    instead of rolling the picture saves two full-size copies per step. With ``lanes``,
    tiles are computed side by side, and a picture of one tile's size is cut in two.
    """
    _, _, height, width = image.shape
    grad = np.empty_like(image)
    total = 0.0
    boxes = _lane_tiles(height, width, tile, lanes)
    pieces = [(_pieces(y0, y1, shift[0], height), _pieces(x0, x1, shift[1], width)) for y0, y1, x0, x1 in boxes]

    def work(where: tuple[Pieces, Pieces]) -> tuple[np.ndarray, float]:
        return gradient(_read(image, *where))

    parts = map(work, pieces) if lanes is None or len(boxes) == 1 else lanes.map(work, pieces)
    for (y0, y1, x0, x1), (ys, xs), (part_grad, value) in zip(boxes, pieces, parts):
        _write(grad, ys, xs, part_grad)
        total += value * (y1 - y0) * (x1 - x0)
    return grad, total / (height * width)


def tiled_value(image: np.ndarray, value: Value, tile: int, lanes: Optional[Lanes] = None) -> float:
    """The area-weighted mean score over the picture's tiles, forward only: one stream's tiles of
    the whole budget, so the figure is the same on every machine, lanes or not; ``lanes`` only
    compute those tiles side by side."""
    _, _, height, width = image.shape
    boxes = tiles(height, width, tile)

    def work(box: tuple[int, int, int, int]) -> float:
        y0, y1, x0, x1 = box
        return value(np.ascontiguousarray(image[:, :, y0:y1, x0:x1]))

    values = map(work, boxes) if lanes is None or len(boxes) == 1 else lanes.map(work, boxes)
    total = 0.0
    for (y0, y1, x0, x1), score in zip(boxes, values):
        total += score * (y1 - y0) * (x1 - x0)
    return total / (height * width)
