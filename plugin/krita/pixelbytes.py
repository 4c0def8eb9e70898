"""Byte-level pixel conversions at the Krita boundary (standard library only).

Krita hands out 8- and 16-bit RGBA as BGRA in native byte order; dreamlayer's
``pixels.Image`` is straight RGBA with little-endian 16-bit samples. Slicing whole
byte strings keeps the swaps in C, which matters for multi-megapixel layers.
"""
from __future__ import annotations

import operator
from array import array

from dreamlayer.pixels import Image


def swap_red_blue(data: bytes, depth: int) -> bytes:
    """BGRA <-> RGBA; the same swap works both ways."""
    step = depth // 8
    stride = 4 * step
    out = bytearray(data)
    for byte in range(step):
        out[byte::stride] = data[2 * step + byte::stride]
        out[2 * step + byte::stride] = data[byte::stride]
    return bytes(out)


# Krita's integer channel types (as ``Node.colorDepth`` names them) as array typecodes and their full value.
CHANNEL_TYPES = {"U8": ("B", 255), "U16": ("H", 65535)}


def has_partial_alpha(image: Image) -> bool:
    """Whether some pixel is neither fully transparent nor opaque (whole-buffer byte operations)."""
    if image.depth == 8:
        return bool(image.data[3::4].translate(None, b"\x00\xff"))
    low, high = image.data[6::8], image.data[7::8]  # 0x0000 and 0xffff are the only whole values
    return bool(high.translate(None, b"\x00\xff")) or low != high


def linear_light_layer(below: bytes, above: bytes, depth: str, channels: int, by_alpha: bool) -> bytes:
    """Pixels of an opaque layer that, blended in Krita's "linear light" mode with inherit alpha
    (``dst + 2 * layer - 1`` on each colour channel, the alpha below kept), changes what shows of
    ``below`` into ``above`` (both in Krita's own bytes and colour space, alpha last).

    A semi-transparent ``below`` of alpha ``a`` over opaque layers shows ``a`` of its colour, so the
    change is scaled by ``a`` when ``by_alpha``; over nothing its colour shows whole (``by_alpha``
    False). Zero change is the middle value; in 8 bits only odd changes exist, so pixels may be off
    by one level. Whole-buffer ``map`` passes (no numpy in Krita's Python) keep it to a few seconds a
    megapixel. The engine makes this layer itself (``dreamlayer.engine.wire.difference_layer``) where it
    sees the document's own samples (RGBA, 8 or 16 bit); this is for greyscale layers, whose samples
    it sees only converted to RGB.
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
