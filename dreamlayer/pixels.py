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
