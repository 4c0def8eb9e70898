"""Optical flow between source frames (OpenCV's DIS or Farneback), warping along it, and which
pixels the flow can be trusted for (forward-backward consistency: occlusions and frame edges fail)."""
from __future__ import annotations

import numpy as np

from ..errors import DreamError
from ..imageio import quantize
from .needs import need

BLUR = 5  # px: the trust mask's soft edge, so occlusion borders do not show as seams


def grey(frame: np.ndarray) -> np.ndarray:
    """uint8 luminance, what the flow methods take."""
    cv2 = need("cv2")
    return cv2.cvtColor(quantize(frame, 8), cv2.COLOR_RGB2GRAY)


def flow(a: np.ndarray, b: np.ndarray, method: str = "dis") -> np.ndarray:
    """HxWx2 float32: for each pixel of grey frame ``a``, the (dx, dy) to where it is in ``b``."""
    cv2 = need("cv2")
    if method == "dis":
        return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=4, winsize=15, iterations=3,
                                            poly_n=5, poly_sigma=1.2, flags=0)
    raise DreamError(f"unknown flow method {method!r}: use dis or farneback")


def _grid(displacement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = displacement.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs + displacement[..., 0], ys + displacement[..., 1]


def warp_back(image: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """``image`` (a frame of ``b``) pulled into ``a``'s pixels along ``flow(a, b)``: bicubic, edges repeated."""
    cv2 = need("cv2")
    map_x, map_y = _grid(displacement)
    warped = cv2.remap(np.ascontiguousarray(image, dtype=np.float32), map_x, map_y, cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REPLICATE)
    return np.clip(warped, 0.0, 1.0, out=warped)


def trust(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """HxW float32 in [0, 1]: 1 where ``forward`` = flow(a, b) and ``backward`` = flow(b, a) agree.

    A pixel whose round trip a -> b -> a does not come home was occluded or left the frame; its
    content must come from the fresh frame. The test is Sundaram et al.'s: |w + w'|^2 <
    0.01 (|w|^2 + |w'|^2) + 0.5, with the mask's edge softened.
    """
    cv2 = need("cv2")
    map_x, map_y = _grid(forward)
    height, width = forward.shape[:2]
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    back = cv2.remap(np.ascontiguousarray(backward), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = np.sum((forward + back) ** 2, axis=2)
    bound = 0.01 * (np.sum(forward ** 2, axis=2) + np.sum(back ** 2, axis=2)) + 0.5
    mask = (inside & (error < bound)).astype(np.float32)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(mask, (0, 0), BLUR / 2)
