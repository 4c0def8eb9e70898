"""Pixel value types through QImage, and the reduced copies for previews."""
from PyQt5.QtGui import QColor, QImage

from dreamlayer.pixels import Image, Mask
from dreamlayer.ui.qimage import from_qimage, reduced_image, reduced_mask, reduced_size, to_qimage


def test_eight_bit_round_trip_is_exact_including_alpha():
    image = Image(5, 3, bytes((i * 7) % 256 for i in range(5 * 3 * 4)), 8)
    assert from_qimage(to_qimage(image)) == image


def test_a_null_qimage_is_an_empty_image():
    assert from_qimage(QImage()) == Image(0, 0, b"", 8)


def test_sixteen_bit_images_become_qimages_with_their_values():
    samples = [0x1234, 0xABCD, 0xFFFF, 0x8000]  # one pixel R, G, B, A
    image = Image(1, 1, b"".join(v.to_bytes(2, "little") for v in samples), 16)
    colour = QColor(to_qimage(image).pixelColor(0, 0))
    assert (colour.red(), colour.green(), colour.blue(), colour.alpha()) == (0x12, 0xAB, 0xFF, 0x80)


def test_reduced_size_keeps_aspect_and_never_grows():
    assert reduced_size(4000, 3000, 512) == (512, 384)
    assert reduced_size(300, 200, 512) == (300, 200)
    assert reduced_size(10000, 3, 512) == (512, 1)


def test_reduced_image_is_the_same_object_when_it_fits_and_smaller_otherwise():
    small = Image(4, 4, bytes(128), 16)
    assert reduced_image(small, 8) is small
    big = Image(30, 10, bytes([200, 100, 50, 255]) * 300, 8)
    reduced = reduced_image(big, 15)
    assert (reduced.width, reduced.height, reduced.depth) == (15, 5, 8)
    assert reduced.data[:4] == bytes([200, 100, 50, 255])


def test_reduced_mask_strips_row_padding():
    mask = Mask(10, 2, bytes([255] * 5 + [0] * 5) * 2)  # width 10 makes Qt pad rows
    out = reduced_mask(mask, 5, 1)
    assert (out.width, out.height, len(out.data)) == (5, 1, 5)
    assert out.data[0] == 255 and out.data[-1] == 0
    assert reduced_mask(mask, 10, 2) is mask
