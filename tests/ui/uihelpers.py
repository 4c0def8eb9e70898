"""Helpers for the dialog and client tests (a module of its own: conftest is not importable)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from dreamlayer.pixels import Image, Mask
from dreamlayer.ui.qt import QApplication, QImage, Qt
from dreamlayer.ui.qimage import from_qimage

PHOTO = Path(__file__).resolve().parents[2] / "examples" / "cat.jpg"
ENGINE_WAIT_S = 120.0


def wait_for(condition: Callable[[], bool], timeout: float = ENGINE_WAIT_S) -> None:
    """Run the Qt event loop until ``condition`` holds (fails the test after ``timeout``)."""
    app = QApplication.instance()
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {condition}")
        app.processEvents()
        time.sleep(0.005)


def photo(width: int, height: int) -> Image:
    """The example photo scaled to a size, as 8-bit RGBA with a varying alpha channel."""
    scaled = QImage(str(PHOTO)).scaled(width, height, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
    rgba = bytearray(from_qimage(scaled).data)
    for i in range(3, len(rgba), 4):
        rgba[i] = (i // 4) % 256
    return Image(width, height, bytes(rgba), 8)


def half_mask(width: int, height: int) -> Mask:
    """Dream only the right half."""
    row = bytes(width // 2) + bytes([255]) * (width - width // 2)
    return Mask(width, height, row * height)
