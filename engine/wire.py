"""Pixels on the wire: the protocol's 8/16-bit RGBA bytes and 8-bit masks to and from the
engine's float arrays, exactly invertible, so what a mask excludes comes back byte for byte."""
from __future__ import annotations

from typing import Optional

import numpy as np
from PIL import Image as PILImage, ImageFilter

from dreamlayer.pixels import Image, Mask

from .imageio import quantize


def _samples(image: Image) -> np.ndarray:
    dtype = np.uint8 if image.depth == 8 else np.dtype("<u2")
    return np.frombuffer(image.data, dtype=dtype).reshape(image.height, image.width, 4)


def _full_scale(depth: int) -> float:
    return float((1 << depth) - 1)


def image_to_float(image: Image) -> np.ndarray:
    """RGB in [0, 1] as float32 HxWx3; ``float_to_bytes`` is its exact inverse."""
    return _samples(image)[..., :3].astype(np.float32) / np.float32(_full_scale(image.depth))


def effective_mask(mask: Mask, invert: bool = False, feather: float = 0.0) -> Mask:
    """The mask the dream blends with: ``mask`` inverted and then feathered if asked.

    It goes back to the editor with the result, so the editor masks its layer with the
    mask the dream really used instead of guessing it from the selection.
    """
    values = np.frombuffer(mask.data, dtype=np.uint8).reshape(mask.height, mask.width)
    if invert:
        values = 255 - values
    if feather > 0:
        values = np.asarray(PILImage.fromarray(values, mode="L").filter(ImageFilter.GaussianBlur(feather)))
    return Mask(mask.width, mask.height, values.tobytes())


def mask_to_float(mask: Mask) -> np.ndarray:
    """The mask in [0, 1] (1 = dream) as float32 HxW; 0 exactly where the mask byte is 0."""
    values = np.frombuffer(mask.data, dtype=np.uint8).reshape(mask.height, mask.width)
    return values.astype(np.float32) / np.float32(255)


def float_to_bytes(rgb: np.ndarray, source: Image, keep: Optional[np.ndarray] = None) -> bytes:
    """``source`` with its RGB replaced by ``rgb`` (rounded), alpha untouched.

    Pixels where ``keep`` is true are copied from ``source`` byte for byte, so what the mask
    excludes is never changed, not even by a rounding step.
    """
    original = _samples(source)
    out = original.copy()
    out[..., :3] = quantize(rgb, source.depth)
    if keep is not None:
        out[keep] = original[keep]
    return out.tobytes()


def preview_image(rgb: np.ndarray, longest: int) -> Image:
    """An 8-bit opaque RGBA copy no larger than ``longest`` on its longest side."""
    picture = PILImage.fromarray(quantize(rgb, 8), mode="RGB")
    picture.thumbnail((longest, longest), PILImage.Resampling.BILINEAR)
    return Image(picture.width, picture.height, picture.convert("RGBA").tobytes(), 8)


def difference_layer(source: Image, dream: np.ndarray, by_alpha: bool) -> bytes:
    """An opaque layer that, blended in "linear light" with inherit alpha (``below + 2 * layer - 1``
    on each colour channel, the alpha below kept), turns what shows of ``source`` into ``dream``:
    ``0.5 + a * (dream - source) / 2``, rounded, with ``a`` the source's alpha when ``by_alpha``
    (a semi-transparent layer over opaque ones shows ``a`` of its colour), else 1. No change is the
    middle value; in 8 bits only even changes are exact, so pixels may be one level off.
    """
    original = _samples(source)
    top = _full_scale(source.depth)
    change = quantize(dream, source.depth).astype(np.float64) - original[..., :3]
    weight = original[..., 3:].astype(np.float64) if by_alpha else top  # a, in units of the full scale
    out = np.empty_like(original)
    out[..., :3] = np.clip(np.rint(top / 2 + weight * change / (2 * top)), 0, top)
    out[..., 3] = top
    return out.tobytes()
