"""Pictures between numpy (H x W x 3 float32 in [0, 1]) and torch (B x 3 x H x W), and pictures
read from files at a size the engine wants; one home for each conversion."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from .imageio import read_image


def to_tensor(picture: np.ndarray) -> torch.Tensor:
    """An H x W x C array as a 1 x C x H x W float32 tensor (C = 3 for pictures, 1 for masks)."""
    array = np.ascontiguousarray(picture, dtype=np.float32)
    return torch.from_numpy(array[..., None] if array.ndim == 2 else array).permute(2, 0, 1)[None]


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """The first picture of a batch as float32 H x W x C in [0, 1], on the CPU."""
    return tensor[0].detach().permute(1, 2, 0).clamp(0, 1).float().cpu().numpy()


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with antialiasing when shrinking, as ``octaves.resize`` does for numpy arrays."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)


def read_fitted(path: Path, longest: int, *, enlarge: bool, smallest: int = 1) -> torch.Tensor:
    """The picture at ``path`` as 1 x 3 x H x W, scaled so its longer side is ``longest`` (never
    enlarged unless ``enlarge``), each side at least ``smallest`` px."""
    tensor = to_tensor(read_image(path).rgb)
    h, w = tensor.shape[-2:]
    factor = longest / max(h, w)
    if not enlarge:
        factor = min(1.0, factor)
    return resize(tensor, (max(smallest, round(h * factor)), max(smallest, round(w * factor))))
