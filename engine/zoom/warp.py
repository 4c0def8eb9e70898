"""Moving a float frame by a camera step with a high-quality filter (Lanczos, reflected borders)."""
from __future__ import annotations

import numpy as np

from ..video.needs import need
from .path import Camera


def warp(image: np.ndarray, camera: Camera) -> np.ndarray:
    """The float32 HxWx3 frame moved by ``camera``, clipped to [0, 1] (Lanczos overshoots a little)."""
    cv2 = need("cv2")
    height, width = image.shape[:2]
    image = np.ascontiguousarray(image, dtype=np.float32)
    if camera.zoom < 1:  # shrinking: a Gaussian prefilter first, or fine detail aliases into moire
        image = cv2.GaussianBlur(image, (0, 0), 0.5 * np.sqrt(1 / camera.zoom ** 2 - 1))
    moved = cv2.warpAffine(image, camera.matrix(width, height),
                           (width, height), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT_101)
    return np.clip(moved, 0.0, 1.0, out=moved)


def fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resized to (width, height): area averaging to shrink, Lanczos to enlarge."""
    cv2 = need("cv2")
    height, width = image.shape[:2]
    if (width, height) == tuple(size):
        return image
    flags = cv2.INTER_AREA if size[0] < width and size[1] < height else cv2.INTER_LANCZOS4
    resized = cv2.resize(np.ascontiguousarray(image, dtype=np.float32), tuple(size), interpolation=flags)
    return np.clip(resized, 0.0, 1.0, out=resized)
