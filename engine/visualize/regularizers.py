"""Penalties on the picture itself, subtracted from the objective: smoothness and restraint
for when transformations alone still leave grain or glare. Each is a function of the picture,
``weight * measure(image)``; the weight is given when it is made, so there is no second algebra
beside the objectives' (those weigh with ``*`` in ``dreamlayer.objective``).

Measures are means, so a weight means the same at any picture size, and each is scaled so
that a weight of about 1 is a visible but moderate pull against a class objective.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.nn import functional as F

TV_SCALE = 100.0
BLUR_SCALE = 1000.0
L2_SCALE = 100.0


Penalty = Callable[[torch.Tensor], torch.Tensor]  # a picture (B x C x H x W in [0, 1]) -> a non-negative score


def total_variation(weight: float = 1.0) -> Penalty:
    """Mean absolute difference between neighbouring pixels: discourages speckle."""
    def measure(image: torch.Tensor) -> torch.Tensor:
        dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
        dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
        return TV_SCALE * (dx + dy)

    return lambda image: weight * measure(image)


def _gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, round(2 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-x * x / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    channels = image.shape[1]
    padded = F.pad(image, (radius,) * 4, mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def blur(weight: float = 1.0, sigma: float = 1.0) -> Penalty:
    """Squared distance to a blurred copy of the picture (held fixed): pulls it towards its own blur."""
    def measure(image: torch.Tensor) -> torch.Tensor:
        return BLUR_SCALE * (image - _gaussian_blur(image.detach(), sigma)).pow(2).mean()

    return lambda image: weight * measure(image)


def l2(weight: float = 1.0, centre: float = 0.5) -> Penalty:
    """Mean squared distance from mid grey: keeps colours from saturating."""
    return lambda image: weight * L2_SCALE * (image - centre).pow(2).mean()
