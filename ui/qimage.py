"""Pixel value types to and from QImage, and the reduced copies the live preview dreams on.

Qt does the scaling so the editor side needs no numpy.
"""
from __future__ import annotations

from .qt import QImage, Qt

from dreamlayer.pixels import Image, Mask


def to_qimage(image: Image) -> QImage:
    """A QImage that owns a copy of the pixels (RGBA8888, or RGBA64 for 16-bit)."""
    fmt, size = (QImage.Format_RGBA8888, 4) if image.depth == 8 else (QImage.Format_RGBA64, 8)
    return QImage(image.data, image.width, image.height, image.width * size, fmt).copy()


def _rows(qimage: QImage, row_bytes: int) -> bytes:
    """The pixel bytes without the padding Qt may add at the end of each scanline."""
    stride = qimage.bytesPerLine()
    bits = qimage.constBits()
    if bits is None:  # a null image: no pixels
        return b""
    data = bits.asstring(stride * qimage.height())
    if stride == row_bytes:
        return data
    return b"".join(data[y * stride:y * stride + row_bytes] for y in range(qimage.height()))


def from_qimage(qimage: QImage) -> Image:
    """An 8-bit straight RGBA image of any QImage."""
    rgba = qimage.convertToFormat(QImage.Format_RGBA8888)
    return Image(rgba.width(), rgba.height(), _rows(rgba, rgba.width() * 4), 8)


def reduced_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size with the longest side at most ``longest``, aspect kept, never below 1 pixel."""
    factor = min(1.0, longest / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


def reduced_image(image: Image, longest: int) -> Image:
    """``image`` itself if it fits in ``longest``, else a smoothly scaled 8-bit copy."""
    size = reduced_size(image.width, image.height, longest)
    if size == (image.width, image.height):
        return image
    scaled = to_qimage(image).scaled(size[0], size[1], Qt.AspectRatioMode.IgnoreAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
    return from_qimage(scaled)


def reduced_mask(mask: Mask, width: int, height: int) -> Mask:
    """``mask`` scaled to ``width`` x ``height`` (itself if it already has that size)."""
    if (mask.width, mask.height) == (width, height):
        return mask
    gray = QImage(mask.data, mask.width, mask.height, mask.width, QImage.Format_Grayscale8)
    scaled = gray.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return Mask(width, height, _rows(scaled.convertToFormat(QImage.Format_Grayscale8), width))
