"""Byte-level pixel conversions at the Krita boundary (standard library only).

Krita hands out 8- and 16-bit RGBA as BGRA in native byte order; dreamlayer's
``pixels.Image`` is straight RGBA with little-endian 16-bit samples. Slicing whole
byte strings keeps the swaps in C, which matters for multi-megapixel layers.
"""
from __future__ import annotations

import re
import sys
from array import array

from dreamlayer.pixels import Image, Mask

_SOFT = re.compile(rb"[\x01-\xfe]+")


def swap_red_blue(data: bytes, depth: int) -> bytes:
    """BGRA <-> RGBA; the same swap works both ways."""
    step = depth // 8
    stride = 4 * step
    out = bytearray(data)
    for byte in range(step):
        out[byte::stride] = data[2 * step + byte::stride]
        out[2 * step + byte::stride] = data[byte::stride]
    return bytes(out)


def _samples(image: Image) -> array:
    values = array("B" if image.depth == 8 else "H", image.data)
    if image.depth == 16 and sys.byteorder != "little":
        values.byteswap()
    return values


def _pack(values: array, like: Image) -> Image:
    if like.depth == 16 and sys.byteorder != "little":
        values.byteswap()
    return Image(like.width, like.height, values.tobytes(), like.depth)


def unblend(source: Image, blended: Image, mask: Mask) -> Image:
    """The layer that, shown through ``mask`` over ``source``, looks exactly like ``blended``.

    The engine already mixed the dream with the source by the mask; a transparency mask
    holding the same mask would mix it again, so soft edges would come out twice
    as faint. Where the mask is partial the mix is undone: ``s + (b - s) / m``. Fully
    selected and unselected pixels are taken from ``blended`` as they are.
    """
    if (source.width, source.height, source.depth) != (blended.width, blended.height, blended.depth):
        raise ValueError("source and dream differ in size or depth")
    if (mask.width, mask.height) != (source.width, source.height):
        raise ValueError("the mask and the image differ in size")
    top = (1 << blended.depth) - 1
    src, out = _samples(source), _samples(blended)
    for run in _SOFT.finditer(mask.data):
        for pixel in range(run.start(), run.end()):
            weight = mask.data[pixel]
            for sample in range(4 * pixel, 4 * pixel + 3):
                base = src[sample]
                value = base + ((out[sample] - base) * 255 * 2 + weight) // (2 * weight)
                out[sample] = 0 if value < 0 else top if value > top else value
    return _pack(out, blended)

