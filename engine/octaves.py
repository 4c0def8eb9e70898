"""The image pyramid a dream climbs: small octaves shape big structures, large ones add detail.

DeepDream's patterns have a fixed size in pixels of the octave they grow in, so what decides
the look is the size of the coarsest octave. With a pattern size the coarsest octave has a
fixed size in pixels whatever the picture's size, and the finer octaves climb from it to the
full picture: a 512 px preview and the 4000 px Apply then share their coarse octaves (the same
patterns, at the same share of the picture), and the big picture's extra octaves only add
detail. A fixed octave count (the classic notebook's way) instead makes patterns a fixed number
of pixels: large on a preview, fine on a big photo.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from PIL import Image

from dreamlayer.settings import DreamSettings

MIN_OCTAVE_SIDE = 32  # below this the network sees nothing useful
MIN_OCTAVES = 4  # the classic count: fewer would make a small picture's dream fainter
# The coarsest octave's longer side at pattern size 1: the classic look, a 1024 px picture
# dreamed in 4 octaves of 1.4 (1024 / 1.4**3 = 373 px), so that picture dreams as it always did.
PATTERN_SIDE = 1024 / 1.4 ** 3


def octave_factors(reference: int, scale: float, pattern_size: float, octaves: Optional[int] = None) -> list[float]:
    """Each octave's size as a fraction of the full picture (longer side ``reference``), smallest first.

    With ``octaves`` set: that many octaves ``scale`` apart, ending at full size. Otherwise the
    coarsest octave's longer side is ``PATTERN_SIDE / pattern_size`` px and octaves grow by
    ``scale`` until the next would be within ``sqrt(scale)`` of full size, which ends the climb; a
    picture smaller than the coarsest octave is dreamed enlarged to it.
    """
    if octaves is not None:
        return [scale ** -i for i in reversed(range(octaves))]
    factors = [PATTERN_SIDE / pattern_size / reference]
    while factors[-1] * scale < 1.0 / math.sqrt(scale):
        factors.append(factors[-1] * scale)
    return factors + [1.0] if factors[-1] < 1.0 else factors


def octave_sizes(height: int, width: int, factors: list[float]) -> list[tuple[int, int]]:
    """(height, width) per octave for a picture (or a crop of one) of this size; octaves smaller
    than MIN_OCTAVE_SIDE are dropped, except the last."""
    sizes = []
    for i, factor in enumerate(factors):
        h, w = max(1, round(height * factor)), max(1, round(width * factor))
        if min(h, w) >= MIN_OCTAVE_SIDE or i == len(factors) - 1:
            sizes.append((h, w))
    return sizes


def schedule(height: int, width: int, settings: DreamSettings, longest: Optional[int] = None,
             reference: Optional[int] = None) -> list[tuple[int, int]]:
    """The octave sizes ``settings`` give a picture of this size.

    ``longest``: the longer side of the whole picture when this is a crop of it (a selection's
    box). ``reference``: the longer side of the full-size picture when the whole picture is a
    reduced copy of it (a preview): the preview climbs Apply's octaves as far as its own size
    allows, so it grows the same coarse patterns; Apply's finer octaves only add detail.
    Fewer than MIN_OCTAVES octaves are padded by repeating the last, so a small picture gets as
    strong a dream as the classic one.
    """
    longest = longest or max(height, width)
    if settings.octaves is not None:
        return octave_sizes(height, width, octave_factors(longest, settings.octave_scale, 1.0, settings.octaves))
    reference = max(reference or longest, longest)
    factors = octave_factors(reference, settings.octave_scale, settings.pattern_size)
    here = [f * reference / longest for f in factors]  # as fractions of this picture
    ceiling = max(1.0, here[0])  # a preview never dreams above its own size; a small picture may be enlarged
    climb = [f for f in here if f < ceiling] + [ceiling]
    return octave_sizes(height, width, climb + climb[-1:] * (MIN_OCTAVES - len(factors)))


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a ... x H x W float32 array, antialiased when shrinking; the identity when
    the size already matches.

    Pillow's float ("F") resampling, which torch's ``interpolate(antialias=True)`` was written to
    match (they agree within 4e-5 on [0, 1] pictures): the dream loop needs no torch, so the ONNX
    Runtime backend runs without it.
    """
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    height, width = size
    planes = image.reshape(-1, *image.shape[-2:])
    out = np.empty((planes.shape[0], height, width), dtype=np.float32)
    for i, plane in enumerate(planes):
        out[i] = np.asarray(Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32)).resize(
            (width, height), Image.Resampling.BILINEAR))
    return out.reshape(*image.shape[:-2], height, width)
