"""Byte-level pixel conversions at the Krita boundary (standard library only).

Krita hands out 8- and 16-bit RGBA as BGRA in native byte order; dreamlayer's
``pixels.Image`` is straight RGBA with little-endian 16-bit samples. Slicing whole
byte strings keeps the swaps in C, which matters for multi-megapixel layers.
"""
from __future__ import annotations

import operator
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



# Krita's integer channel types (as ``Node.colorDepth`` names them) as array typecodes and their full value.
CHANNEL_TYPES = {"U8": ("B", 255), "U16": ("H", 65535)}


def has_partial_alpha(image: Image) -> bool:
    """Whether some pixel is neither fully transparent nor opaque."""
    if image.depth == 8:
        return bool(image.data[3::4].translate(None, b"\x00\xff"))
    alpha = _samples(image)[3::4]
    return any(0 < value < 65535 for value in alpha)


def linear_light_layer(below: bytes, above: bytes, depth: str, channels: int, by_alpha: bool) -> bytes:
    """Pixels of an opaque layer that, blended in Krita's "linear light" mode with inherit alpha
    (``dst + 2 * layer - 1`` on each colour channel, the alpha below kept), changes what shows of
    ``below`` into ``above`` (both in Krita's own bytes and colour space, alpha last).

    A semi-transparent ``below`` of alpha ``a`` over opaque layers shows ``a`` of its colour, so the
    change is scaled by ``a`` when ``by_alpha``; over nothing its colour shows whole (``by_alpha``
    False). Zero change is the middle value; in 8 bits only odd changes exist, so pixels may be off
    by one level. Whole-buffer ``map`` passes (no numpy in Krita's Python) keep it to a few seconds a megapixel.
    """
    code, unit = CHANNEL_TYPES[depth]
    s, d = array(code, below), array(code, above)
    if len(s) != len(d) or len(s) % channels:
        raise ValueError("the layer and its dream differ in size")
    full = array(code, [unit]) * (len(s) // channels)
    weights = array(code, bytes(len(s) * s.itemsize))  # each sample's pixel alpha (or the full value)
    for channel in range(channels):
        weights[channel::channels] = s[channels - 1::channels] if by_alpha else full
    scaled = map(operator.mul, weights, map(operator.sub, d, s))  # alpha * change, in unit * unit
    if code == "B":
        table = [min(max(round(127.5 + value / 510), 0), 255) for value in range(-255 * 255, 255 * 255 + 1)]
        out = array(code, map(table.__getitem__, map((255 * 255).__add__, scaled)))
    else:
        half, spread = unit / 2, 2 * unit
        out = array(code, map(lambda value: min(max(round(half + value / spread), 0), unit), scaled))
    out[channels - 1::channels] = full
    return out.tobytes()
