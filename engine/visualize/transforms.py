"""Random transformations applied before every step, so the picture must work when moved,
scaled and turned a little: what survives is structure, not adversarial pixel noise.

A transform maps (the picture's height and width, numpy Generator) to a :class:`Gather`: each output pixel a
weighted sum of at most four input pixels plus a constant. That one form covers padding,
mirrored shifts and bilinear resampling, and its adjoint (the gradient's way back) is a
scatter of the same weights. All randomness comes from the generator, so a seed reproduces a
picture exactly. Every transform keeps the picture's shape except ``pad``, which grows the
canvas so the others have room at the edges.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import numpy as np

from ..errors import DreamError
from .settings import TRANSFORM_NAMES


class Gather:
    """out[c].flat[n] = sum_k weights[k, n] * image[c].flat[index[k, n]] + constant[n]."""

    def __init__(self, index: np.ndarray, weights: np.ndarray, constant: np.ndarray | float,
                 source: tuple[int, int], shape: tuple[int, int]) -> None:
        self.index, self.weights, self.constant = index, weights, constant
        self.source, self.shape = source, shape

    @classmethod
    def identity(cls, height: int, width: int) -> "Gather":
        return cls(np.arange(height * width)[None], np.ones((1, height * width)), 0.0, (height, width),
                   (height, width))

    def __call__(self, image: np.ndarray) -> np.ndarray:
        flat = image.reshape(image.shape[0], -1)
        # take along an axis and einsum: 6x faster than fancy indexing and a sum on 256 px pictures
        out = np.einsum("ckn,kn->cn", np.take(flat, self.index, axis=1), self.weights) + self.constant
        return out.reshape((image.shape[0],) + self.shape)

    def adjoint(self, grad: np.ndarray) -> np.ndarray:
        """d loss / d input from d loss / d output: each output pixel's gradient back to its sources."""
        size = self.source[0] * self.source[1]
        index = self.index.ravel()
        # a bincount per channel on the shared index: 3x faster than one over channel-offset indices
        back = [np.bincount(index, (self.weights * g).ravel(), minlength=size) for g in grad.reshape(len(grad), 1, -1)]
        return np.stack(back).reshape((len(grad),) + self.source)


class Chain:
    """Gathers applied one after another (each transform resamples the previous one's output, as
    torch's transforms did); cheaper than multiplying them out, whose terms per pixel multiply."""

    def __init__(self, gathers: Sequence[Gather], size: tuple[int, int]) -> None:
        self.gathers = list(gathers)
        self.source = size
        self.shape = self.gathers[-1].shape if self.gathers else size

    def __call__(self, image: np.ndarray) -> np.ndarray:
        for gather in self.gathers:
            image = gather(image)
        return image

    def adjoint(self, grad: np.ndarray) -> np.ndarray:
        for gather in reversed(self.gathers):
            grad = gather.adjoint(grad)
        return grad


Transform = Callable[[tuple[int, int], np.random.Generator], Gather]  # (height, width) of its input


def _choice(values: Sequence[float], rng: np.random.Generator) -> float:
    return float(values[int(rng.integers(len(values)))])


def pad(pixels: int, value: float = 0.5) -> Transform:
    """A flat border (grey by default) around the picture, ``pixels`` wide on every side."""
    def transform(size: tuple[int, int], rng: np.random.Generator) -> Gather:
        height, width = size
        y, x = np.mgrid[-pixels:height + pixels, -pixels:width + pixels]
        inside = ((y >= 0) & (y < height) & (x >= 0) & (x < width)).ravel()
        index = (np.clip(y, 0, height - 1) * width + np.clip(x, 0, width - 1)).ravel()
        return Gather(index[None], inside[None].astype(np.float64), np.where(inside, 0.0, value), size,
                      (height + 2 * pixels, width + 2 * pixels))

    return transform


def _mirror(i: np.ndarray, size: int) -> np.ndarray:
    """Indices reflected into 0..size-1 without repeating the edge (torch's 'reflect' padding)."""
    i = np.abs(i)
    return np.where(i >= size, 2 * (size - 1) - i, i)


def jitter(pixels: int) -> Transform:
    """Shift by up to ``pixels`` in x and y, whole pixels, mirroring the picture into the gap."""
    def transform(size: tuple[int, int], rng: np.random.Generator) -> Gather:
        height, width = size
        d = min(pixels, width - 1, height - 1)
        if d <= 0:
            return Gather.identity(height, width)
        dy, dx = rng.integers(0, 2 * d + 1, 2)
        y, x = np.mgrid[0:height, 0:width]
        index = _mirror(y + dy - d, height) * width + _mirror(x + dx - d, width)
        return Gather(index.ravel()[None], np.ones((1, height * width)), 0.0, size, size)

    return transform


def _reflect(coordinate: np.ndarray, size: int) -> np.ndarray:
    """Pixel coordinates reflected at the picture's outer edges (-0.5 and size - 0.5), then clipped,
    as torch's grid_sample does with padding_mode='reflection' and align_corners=False."""
    span = float(size)
    folded = np.mod(np.abs(coordinate + 0.5), 2 * span)  # an even number of flips is none
    return np.clip(np.where(folded < span, folded, 2 * span - folded) - 0.5, 0, size - 1)


@functools.lru_cache(maxsize=8)
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres in [-1, 1] units (y, x): every step's warps are of the same few sizes."""
    gy, gx = np.mgrid[0:height, 0:width]
    ny, nx = (2 * gy + 1) / height - 1, (2 * gx + 1) / width - 1
    ny.flags.writeable = nx.flags.writeable = False
    return ny, nx


def _warp(size: tuple[int, int], theta: np.ndarray) -> Gather:
    """Bilinear resampling through the affine map ``theta`` (2 x 3, in [-1, 1] units, as torch's
    affine_grid with align_corners=False), mirrored at the edges."""
    height, width = size
    ny, nx = _grid(height, width)
    sx = theta[0, 0] * nx + theta[0, 1] * ny + theta[0, 2]
    sy = theta[1, 0] * nx + theta[1, 1] * ny + theta[1, 2]
    px = _reflect(((sx + 1) * width - 1) / 2, width).ravel()
    py = _reflect(((sy + 1) * height - 1) / 2, height).ravel()
    x0, y0 = np.floor(px).astype(np.int64), np.floor(py).astype(np.int64)
    fx, fy = px - x0, py - y0
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)  # where clipped, the weight is 0
    index = np.stack([y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1])
    weights = np.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx])
    return Gather(index, weights, 0.0, size, size)


def random_scale(scales: Sequence[float]) -> Transform:
    """Zoom about the centre by a factor drawn from ``scales`` (above 1 enlarges)."""
    def transform(size: tuple[int, int], rng: np.random.Generator) -> Gather:
        factor = _choice(scales, rng)
        if factor == 1.0:
            return Gather.identity(*size)
        return _warp(size, np.array([[1 / factor, 0.0, 0.0], [0.0, 1 / factor, 0.0]]))

    return transform


def random_rotate(degrees: Sequence[float]) -> Transform:
    """Turn about the centre by an angle drawn from ``degrees``."""
    def transform(size: tuple[int, int], rng: np.random.Generator) -> Gather:
        angle = math.radians(_choice(degrees, rng))
        if angle == 0.0:
            return Gather.identity(*size)
        height, width = size
        c, s = math.cos(angle), math.sin(angle)
        aspect = width / height  # the grid is in [-1, 1] units, so non-square pictures need this
        return _warp(size, np.array([[c, -s / aspect, 0.0], [s * aspect, c, 0.0]]))

    return transform


def compose(transforms: Sequence[Transform]) -> Callable[[tuple[int, int], np.random.Generator], Chain]:
    """Apply ``transforms`` in order."""
    def transform(size: tuple[int, int], rng: np.random.Generator) -> Chain:
        gathers: list[Gather] = []
        for step in transforms:
            gathers.append(step(gathers[-1].shape if gathers else size, rng))
        return Chain(gathers, size)

    return transform


def standard(size: int, names: Sequence[str] = TRANSFORM_NAMES) -> list[Transform]:
    """The robustness recipe for a ``size`` px picture (its pixel values are for 224 px).

    Lucid's recipe with wider ranges (jitter 32 px, zoom 0.6-1.4, turns up to 20 degrees):
    on efficientnet-lite0 the wider ranges made class pictures that other networks recognise
    far more often (bench/class_quality.py); wider still made it worse again.
    """
    unknown = [n for n in names if n not in TRANSFORM_NAMES]
    if unknown:
        raise DreamError(f"unknown transform {unknown[0]!r}: choose from {', '.join(TRANSFORM_NAMES)} (or none)")
    unit = size / 224
    recipe = {
        "pad": pad(round(16 * unit)),
        "jitter": jitter(round(32 * unit)),
        "scale": random_scale([0.6 + 0.08 * i for i in range(11)]),
        "rotate": random_rotate(list(range(-20, 21))),
    }
    chosen = [recipe[name] for name in TRANSFORM_NAMES if name in names]
    if "jitter" in names:
        chosen.append(jitter(max(1, round(4 * unit))))  # a last small shift after resampling
    return chosen
