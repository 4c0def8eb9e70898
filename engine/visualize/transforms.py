"""Random transformations applied before every step, so the picture must work when moved,
scaled and turned a little: what survives is structure, not adversarial pixel noise.

A transform maps (image B x C x H x W, torch.Generator) to an image; all randomness comes
from the generator, so a seed reproduces a picture exactly. Every transform keeps the
image's shape except ``pad``, which grows the canvas so the others have room at the edges.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch.nn import functional as F

from ..errors import DreamError
from .settings import TRANSFORM_NAMES

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _choice(values: Sequence[float], generator: torch.Generator) -> float:
    return float(values[int(torch.randint(len(values), (1,), generator=generator))])


def pad(pixels: int, value: float = 0.5) -> Transform:
    """A flat border (grey by default) around the picture, ``pixels`` wide on every side."""
    def transform(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return F.pad(image, (pixels,) * 4, mode="constant", value=value) if pixels else image

    return transform


def jitter(pixels: int) -> Transform:
    """Shift by up to ``pixels`` in x and y, whole pixels, mirroring the picture into the gap."""
    def transform(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        d = min(pixels, image.shape[-1] - 1, image.shape[-2] - 1)
        if d <= 0:
            return image
        dy, dx = (torch.randint(0, 2 * d + 1, (2,), generator=generator)).tolist()
        height, width = image.shape[-2:]
        return F.pad(image, (d,) * 4, mode="reflect")[..., dy:dy + height, dx:dx + width]

    return transform


def _warp(image: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta.to(image).expand(image.shape[0], 2, 3), list(image.shape), align_corners=False)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_scale(scales: Sequence[float]) -> Transform:
    """Zoom about the centre by a factor drawn from ``scales`` (above 1 enlarges)."""
    def transform(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        factor = _choice(scales, generator)
        if factor == 1.0:
            return image
        return _warp(image, torch.tensor([[1 / factor, 0.0, 0.0], [0.0, 1 / factor, 0.0]]))

    return transform


def random_rotate(degrees: Sequence[float]) -> Transform:
    """Turn about the centre by an angle drawn from ``degrees``."""
    def transform(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        angle = math.radians(_choice(degrees, generator))
        if angle == 0.0:
            return image
        height, width = image.shape[-2:]
        c, s = math.cos(angle), math.sin(angle)
        aspect = width / height  # affine_grid works in [-1, 1] units, so non-square images need this
        return _warp(image, torch.tensor([[c, -s / aspect, 0.0], [s * aspect, c, 0.0]]))

    return transform


def compose(transforms: Sequence[Transform]) -> Transform:
    """Apply ``transforms`` in order."""
    def transform(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for step in transforms:
            image = step(image, generator)
        return image

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
