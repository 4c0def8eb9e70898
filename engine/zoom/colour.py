"""Colour hold: pull each frame's per-channel mean and spread back towards a reference.

Feedback loops drift: every dream adds a little contrast or tint, and after hundreds of frames
the picture goes dark, bright or muddy. Matching the statistics a share of the way back each
frame keeps the drift bounded (the error shrinks by ``1 - strength`` per frame) while leaving
the structure the dream painted alone.
"""
from __future__ import annotations

import numpy as np

MIN_SPREAD = 1e-3  # a flat channel (a grey start) has no spread to scale


def colour_stats(image: np.ndarray) -> np.ndarray:
    """2x3 float64: per-channel mean (row 0) and standard deviation (row 1)."""
    pixels = image.reshape(-1, image.shape[-1]).astype(np.float64)
    return np.stack([pixels.mean(axis=0), pixels.std(axis=0)])


def hold_colour(image: np.ndarray, reference: np.ndarray, strength: float) -> np.ndarray:
    """``image`` moved ``strength`` (0..1) of the way to the reference statistics, clipped to [0, 1]."""
    if strength <= 0:
        return image
    mean, spread = colour_stats(image)
    target_mean, target_spread = reference
    scale = np.where(spread > MIN_SPREAD, target_spread / np.maximum(spread, MIN_SPREAD), 1.0)
    matched = (image - mean) * scale + target_mean
    held = image + strength * (matched - image)
    return np.clip(held, 0.0, 1.0).astype(np.float32)
