"""Penalties on the picture itself, subtracted from the objective: smoothness and restraint
for when transformations alone still leave grain or glare. Each is a function of the picture
giving ``weight * measure(picture)`` and its gradient; the weight is given when it is made, so
there is no second algebra beside the objectives' (those weigh with ``*`` in
``dreamlayer.objective``).

Measures are means, so a weight means the same at any picture size, and each is scaled so
that a weight of about 1 is a visible but moderate pull against a class objective.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

TV_SCALE = 100.0
BLUR_SCALE = 1000.0
L2_SCALE = 100.0

# a picture (C x H x W in [0, 1]) -> (a non-negative score, its gradient with respect to the picture)
Penalty = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _weighted(weight: float, measure: Penalty) -> Penalty:
    def penalty(image: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = measure(image)
        return weight * value, weight * grad

    return penalty


def total_variation(weight: float = 1.0) -> Penalty:
    """Mean absolute difference between neighbouring pixels: discourages speckle."""
    def measure(image: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.zeros_like(image)
        value = 0.0
        for axis in (-2, -1):
            d = np.diff(image, axis=axis)
            value += float(np.abs(d).mean())
            sign = np.sign(d) / d.size
            pad = [(0, 0)] * image.ndim
            pad[axis] = (1, 0)
            grad += np.pad(sign, pad)  # + at the later pixel of each pair
            pad[axis] = (0, 1)
            grad -= np.pad(sign, pad)  # - at the earlier one
        return TV_SCALE * value, TV_SCALE * grad

    return _weighted(weight, measure)


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, round(2 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-x * x / (2 * sigma * sigma))
    kernel /= kernel.sum()
    padded = np.pad(image, ((0, 0), (radius, radius), (radius, radius)), mode="reflect")
    height, width = image.shape[-2:]
    rows = sum(k * padded[:, :, i:i + width] for i, k in enumerate(kernel))
    return sum(k * rows[:, i:i + height, :] for i, k in enumerate(kernel))


def blur(weight: float = 1.0, sigma: float = 1.0) -> Penalty:
    """Squared distance to a blurred copy of the picture (held fixed): pulls it towards its own blur."""
    def measure(image: np.ndarray) -> tuple[float, np.ndarray]:
        off = image - _gaussian_blur(image, sigma)
        return BLUR_SCALE * float((off * off).mean()), BLUR_SCALE * 2 * off / off.size

    return _weighted(weight, measure)


def l2(weight: float = 1.0, centre: float = 0.5) -> Penalty:
    """Mean squared distance from mid grey: keeps colours from saturating."""
    def measure(image: np.ndarray) -> tuple[float, np.ndarray]:
        off = image - centre
        return L2_SCALE * float((off * off).mean()), L2_SCALE * 2 * off / off.size

    return _weighted(weight, measure)
