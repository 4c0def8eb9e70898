"""The image pyramid a dream climbs: small octaves shape big structures, large ones add detail."""
from __future__ import annotations

import torch
from torch.nn import functional as F

MIN_OCTAVE_SIDE = 32  # below this the network sees nothing useful


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """Sizes smallest first, ending at the full size; octaves that would be tinier are dropped."""
    sizes = []
    for i in reversed(range(octaves)):
        factor = scale ** i
        h, w = round(height / factor), round(width / factor)
        if min(h, w) >= MIN_OCTAVE_SIDE or i == 0:
            sizes.append((h, w))
    return sizes


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with antialiasing when shrinking; the identity when the size already matches."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)
