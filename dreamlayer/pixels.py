"""Small value types for pixels that travel between editors, the dialog and the engine.

Standard library only (editors' Python has no numpy). Pixel data is raw bytes in a fixed
layout so an adapter converts once at the editor boundary and nothing else has to guess.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    """A rectangle in document pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0


@dataclass(frozen=True)
class Image:
    """Straight (not premultiplied) RGBA, row-major, 8 or 16 bits per channel.

    16-bit samples are little-endian unsigned integers.
    """

    width: int
    height: int
    data: bytes
    depth: int = 8

    def __post_init__(self) -> None:
        if self.depth not in (8, 16):
            raise ValueError(f"depth must be 8 or 16 bits, not {self.depth}")
        expected = self.width * self.height * 4 * (self.depth // 8)
        if len(self.data) != expected:
            raise ValueError(f"{self.width}x{self.height} RGBA{self.depth} needs {expected} bytes, "
                             f"got {len(self.data)}")

    def crop(self, box: Bounds) -> "Image":
        """The pixels inside ``box`` (in this image's own coordinates; it must lie inside)."""
        size = 4 * (self.depth // 8)
        return Image(box.width, box.height, _rows(self.data, self.width, self.height, size, box), self.depth)


@dataclass(frozen=True)
class Mask:
    """One byte per pixel: 255 = dream fully, 0 = leave untouched, between = partly."""

    width: int
    height: int
    data: bytes

    def __post_init__(self) -> None:
        if len(self.data) != self.width * self.height:
            raise ValueError(f"{self.width}x{self.height} mask needs {self.width * self.height} bytes, "
                             f"got {len(self.data)}")

    def crop(self, box: Bounds) -> "Mask":
        """The mask inside ``box`` (in its own coordinates; it must lie inside)."""
        return Mask(box.width, box.height, _rows(self.data, self.width, self.height, 1, box))


def _rows(data: bytes, width: int, height: int, size: int, box: Bounds) -> bytes:
    """The bytes of ``box`` from a row-major picture of ``size``-byte pixels: one slice a row."""
    if box.x < 0 or box.y < 0 or box.x + box.width > width or box.y + box.height > height or box.empty:
        raise ValueError(f"{box} does not lie inside a {width}x{height} picture")
    if (box.x, box.y, box.width, box.height) == (0, 0, width, height):
        return data
    line, start, end = width * size, box.x * size, (box.x + box.width) * size
    return b"".join(data[row * line + start:row * line + end] for row in range(box.y, box.y + box.height))
