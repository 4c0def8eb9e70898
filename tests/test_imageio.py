"""Image reading and writing: exact samples, 16 bits kept, alpha untouched, clear errors.

16-bit colour files are made with independent codecs (Qt's PNG writer, tifffile) so the
module's own reader and writer are never only checked against each other.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from dreamlayer.engine.imageio import (ImageReadError, ImageWriteError, Picture, quantize, read_image,
                                       read_mask, write_image)

RNG = np.random.default_rng(7)
LOSSLESS = ["png", "tif", "webp", "bmp"]


def _noise(shape: tuple[int, ...], bits: int = 8) -> np.ndarray:
    dtype = np.uint8 if bits == 8 else np.uint16
    return RNG.integers(0, 1 << bits, shape, dtype=dtype)


def _samples(picture: Picture) -> np.ndarray:
    return quantize(picture.rgb, picture.bits)


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _qt():
    gui = pytest.importorskip("PyQt5.QtGui")
    return gui.QImage


def _qt_write_png16(path: Path, samples: np.ndarray) -> None:
    """16-bit RGB(A) PNG written by Qt's libpng-based codec (adaptive row filters)."""
    qimage = _qt()
    height, width, channels = samples.shape
    rgba = np.dstack([samples, np.full((height, width), 65535, np.uint16)]) if channels == 3 else samples
    fmt = qimage.Format_RGBX64 if channels == 3 else qimage.Format_RGBA64
    assert qimage(np.ascontiguousarray(rgba).tobytes(), width, height, width * 8, fmt).save(str(path))


def _qt_read_png16(path: Path) -> np.ndarray:
    qimage = _qt()
    image = qimage(str(path))
    assert not image.isNull()
    image = image.convertToFormat(qimage.Format_RGBA64)
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint16)
    return data.reshape(image.height(), image.bytesPerLine() // 8, 4)[:, :image.width()]


def _grey_alpha_png16(path: Path, samples: np.ndarray) -> None:
    """A 16-bit grey+alpha PNG (colour type 4), unfiltered rows: no common writer makes these."""
    height, width, _ = samples.shape
    rows = samples.astype(">u2").view(np.uint8).reshape(height, -1)
    data = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 4, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))


def test_quantize_exactly_inverts_reading_for_every_8_bit_value(tmp_path):
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    Image.fromarray(values).save(tmp_path / "all.png")
    picture = read_image(tmp_path / "all.png")
    assert picture.rgb.dtype == np.float32 and picture.rgb.min() == 0.0 and picture.rgb.max() == 1.0
    assert np.array_equal(quantize(picture.rgb, 8)[..., 1], values)


def test_quantize_exactly_inverts_reading_for_every_16_bit_value(tmp_path):
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    Image.fromarray(values).save(tmp_path / "all.png")
    picture = read_image(tmp_path / "all.png")
    assert (picture.bits, picture.grey) == (16, True)
    assert np.array_equal(quantize(picture.rgb, 16)[..., 2], values)


def test_quantize_clips_and_checks_bits():
    assert quantize(np.array([-0.5, 0.5, 1.5]), 8).tolist() == [0, 128, 255]
    assert quantize(np.array([1.0]), 16).dtype == np.uint16
    with pytest.raises(ValueError, match="8 or 16"):
        quantize(np.zeros(3), 12)


@pytest.mark.parametrize("ext", LOSSLESS)
def test_8_bit_rgb_round_trips_byte_identical(tmp_path, ext):
    pixels = _noise((9, 13, 3))
    Image.fromarray(pixels).save(tmp_path / "in.png")
    picture = read_image(tmp_path / "in.png")
    assert (picture.bits, picture.grey, picture.alpha, picture.size) == (8, False, None, (13, 9))
    write_image(tmp_path / f"out.{ext}", picture)
    with Image.open(tmp_path / f"out.{ext}") as written:
        assert written.mode == "RGB"
        assert np.array_equal(np.asarray(written), pixels)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.png", f"out.{ext}"])


@pytest.mark.parametrize("ext", ["png", "tif", "webp"])
def test_rgba_keeps_alpha_and_colour_under_transparency(tmp_path, ext):
    pixels = _noise((8, 6, 4))
    pixels[0, :, 3] = 0  # fully transparent row with arbitrary colour underneath
    Image.fromarray(pixels).save(tmp_path / "in.png")
    picture = read_image(tmp_path / "in.png")
    assert picture.alpha.dtype == np.uint8 and np.array_equal(picture.alpha, pixels[..., 3])
    write_image(tmp_path / f"out.{ext}", picture)
    back = read_image(tmp_path / f"out.{ext}")
    assert np.array_equal(_samples(back), pixels[..., :3])
    assert np.array_equal(back.alpha, pixels[..., 3])


def test_jpeg_drops_alpha_and_writes_rgb(tmp_path):
    Image.fromarray(_noise((8, 8, 4))).save(tmp_path / "in.png")
    write_image(tmp_path / "out.jpg", read_image(tmp_path / "in.png"))
    with Image.open(tmp_path / "out.jpg") as written:
        assert (written.format, written.mode) == ("JPEG", "RGB")


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_greyscale_is_read_as_grey_and_written_as_rgb(tmp_path, mode):
    pixels = _noise((7, 5, len(mode)))
    Image.fromarray(pixels.squeeze(2) if mode == "L" else pixels, mode).save(tmp_path / "in.png")
    picture = read_image(tmp_path / "in.png")
    assert (picture.grey, picture.bits) == (True, 8)
    assert all(np.array_equal(_samples(picture)[..., c], pixels[..., 0]) for c in range(3))
    assert (picture.alpha is None) == (mode == "L")
    write_image(tmp_path / "out.png", picture)
    with Image.open(tmp_path / "out.png") as written:
        assert written.mode == ("RGB" if mode == "L" else "RGBA")
        stored = np.asarray(written)
    assert np.array_equal(stored[..., 1], pixels[..., 0])
    if mode == "LA":
        assert np.array_equal(stored[..., 3], pixels[..., 1])


def test_palette_becomes_rgb_and_transparent_index_becomes_alpha(tmp_path):
    indices = np.arange(12, dtype=np.uint8).reshape(3, 4)
    palette = _noise((256 * 3,))
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.tolist())
    image.save(tmp_path / "opaque.png")
    image.save(tmp_path / "keyed.png", transparency=5)
    colours = palette.reshape(256, 3)[indices]
    opaque = read_image(tmp_path / "opaque.png")
    assert (opaque.alpha, opaque.grey) == (None, False)
    assert np.array_equal(_samples(opaque), colours)
    keyed = read_image(tmp_path / "keyed.png")
    assert np.array_equal(_samples(keyed), colours)
    assert np.array_equal(keyed.alpha, np.where(indices == 5, 0, 255))


def test_rgb_colour_key_becomes_alpha(tmp_path):
    pixels = _noise((4, 4, 3))
    pixels[1, 2] = (10, 20, 30)
    Image.fromarray(pixels).save(tmp_path / "in.png", transparency=(10, 20, 30))
    picture = read_image(tmp_path / "in.png")
    assert picture.alpha[1, 2] == 0 and (picture.alpha == 0).sum() == (pixels == (10, 20, 30)).all(2).sum()


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_16_bit_grey_stays_16_bit(tmp_path, ext):
    values = _noise((6, 9), 16)
    Image.fromarray(values).save(tmp_path / f"in.{ext}")
    picture = read_image(tmp_path / f"in.{ext}")
    assert (picture.bits, picture.grey) == (16, True)
    assert np.array_equal(_samples(picture)[..., 0], values)
    write_image(tmp_path / f"out.{ext}", picture)
    back = read_image(tmp_path / f"out.{ext}")
    assert (back.bits, back.grey) == (16, False)
    assert all(np.array_equal(_samples(back)[..., c], values) for c in range(3))


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_png_from_another_codec_round_trips_exactly(tmp_path, channels):
    ramp = np.linspace(0, 65535, 24 * 17 * channels).astype(np.uint16).reshape(17, 24, channels)
    samples = ramp ^ _noise(ramp.shape, 16) & 0x00FF  # smooth high bytes, noisy low bytes
    _qt_write_png16(tmp_path / "in.png", samples)
    picture = read_image(tmp_path / "in.png")
    assert (picture.bits, picture.grey) == (16, False)
    assert np.array_equal(_samples(picture), samples[..., :3])
    if channels == 4:
        assert picture.alpha.dtype == np.uint16 and np.array_equal(picture.alpha, samples[..., 3])
    write_image(tmp_path / "out.png", picture)
    assert np.array_equal(_qt_read_png16(tmp_path / "out.png")[..., :channels], samples)


@pytest.mark.parametrize("compression", [None, "zlib"])
@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_tiff_from_another_codec_round_trips_exactly(tmp_path, compression, byteorder, channels):
    tifffile = pytest.importorskip("tifffile")
    samples = _noise((11, 7, channels), 16)
    tifffile.imwrite(tmp_path / "in.tif", samples, photometric="rgb", compression=compression,
                     byteorder=byteorder, extrasamples=["unassalpha"] if channels == 4 else None)
    picture = read_image(tmp_path / "in.tif")
    assert picture.bits == 16
    assert np.array_equal(_samples(picture), samples[..., :3])
    assert picture.alpha is None if channels == 3 else np.array_equal(picture.alpha, samples[..., 3])
    write_image(tmp_path / "out.tiff", picture)
    assert np.array_equal(tifffile.imread(tmp_path / "out.tiff"), samples)
    back = read_image(tmp_path / "out.tiff")
    assert np.array_equal(_samples(back), samples[..., :3])


def test_16_bit_tiff_written_in_several_strips_with_profile(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    samples = _noise((120, 700, 3), 16)
    profile = _srgb_profile()
    write_image(tmp_path / "out.tif", Picture(samples / 65535.0, None, 16, False, profile))
    with tifffile.TiffFile(tmp_path / "out.tif") as tiff:
        page = tiff.pages[0]
        assert len(page.dataoffsets) > 1
        assert page.tags[34675].value == profile
        assert np.array_equal(page.asarray(), samples)
    assert read_image(tmp_path / "out.tif").icc_profile == profile


def test_large_16_bit_png_is_split_over_several_data_chunks(tmp_path):
    samples = _noise((400, 500, 4), 16)
    write_image(tmp_path / "out.png", Picture(samples[..., :3] / 65535.0, samples[..., 3], 16, False, None))
    assert (tmp_path / "out.png").read_bytes().count(b"IDAT") > 1
    assert np.array_equal(_qt_read_png16(tmp_path / "out.png"), samples)


def test_16_bit_grey_with_alpha_png(tmp_path):
    samples = _noise((5, 8, 2), 16)
    _grey_alpha_png16(tmp_path / "in.png", samples)
    picture = read_image(tmp_path / "in.png")
    assert (picture.bits, picture.grey) == (16, True)
    assert np.array_equal(_samples(picture)[..., 0], samples[..., 0])
    assert np.array_equal(picture.alpha, samples[..., 1])


def test_16_bit_source_becomes_8_bit_where_the_format_has_no_16(tmp_path):
    samples = _noise((6, 6, 4), 16)
    picture = Picture(samples[..., :3] / 65535.0, samples[..., 3], 16, False, None)
    write_image(tmp_path / "out.webp", picture)
    back = read_image(tmp_path / "out.webp")
    assert back.bits == 8
    assert np.array_equal(_samples(back), quantize(picture.rgb, 8))
    assert np.array_equal(back.alpha, quantize(samples[..., 3] / 65535.0, 8))


def test_original_supplies_alpha_bits_and_profile(tmp_path):
    alpha = _noise((4, 5), 16)
    profile = _srgb_profile()
    original = Picture(np.zeros((4, 5, 3), np.float32), alpha, 16, False, profile)
    dreamed = Picture(np.full((4, 5, 3), 0.5, np.float32), None, 8, False, None)
    write_image(tmp_path / "out.png", dreamed, original)
    back = read_image(tmp_path / "out.png")
    assert (back.bits, back.icc_profile) == (16, profile)
    assert np.array_equal(back.alpha, alpha)


def test_profiles_pass_through_but_non_rgb_ones_are_not_written_to_rgb(tmp_path):
    profile = _srgb_profile()
    for ext in ["png", "jpg", "tif", "webp"]:
        write_image(tmp_path / f"out.{ext}", Picture(np.zeros((2, 2, 3)), None, 8, False, profile))
        assert read_image(tmp_path / f"out.{ext}").icc_profile == profile
    grey_profile = profile[:16] + b"GRAY" + profile[20:]
    Image.new("L", (2, 2)).save(tmp_path / "grey.png", icc_profile=grey_profile)
    grey = read_image(tmp_path / "grey.png")
    assert grey.icc_profile == grey_profile
    write_image(tmp_path / "grey-out.png", grey)
    assert read_image(tmp_path / "grey-out.png").icc_profile is None


def _exif_with_orientation(value: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


def test_jpeg_exif_orientation_is_applied_and_not_written_again(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    Image.fromarray(stored).save(tmp_path / "in.jpg", quality=95, exif=_exif_with_orientation(6))
    picture = read_image(tmp_path / "in.jpg")
    assert picture.rgb.shape == (40, 20, 3)  # rotated 90 degrees clockwise to stand upright
    top, bottom = _samples(picture)[5, 10].astype(int), _samples(picture)[35, 10].astype(int)
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    for ext in ["jpg", "png"]:
        write_image(tmp_path / f"out.{ext}", picture)
        with Image.open(tmp_path / f"out.{ext}") as written:
            assert written.size == (20, 40)
            assert 0x0112 not in written.getexif()
        assert read_image(tmp_path / f"out.{ext}").rgb.shape == (40, 20, 3)


def test_lossless_exif_orientation_rotates_exactly(tmp_path):
    stored = _noise((5, 8, 3))
    Image.fromarray(stored).save(tmp_path / "in.png", exif=_exif_with_orientation(6))
    assert np.array_equal(_samples(read_image(tmp_path / "in.png")), np.rot90(stored, -1))


def test_cmyk_jpeg_is_converted_to_rgb_without_its_profile(tmp_path):
    cmyk_profile = _srgb_profile()[:16] + b"CMYK" + _srgb_profile()[20:]
    Image.new("CMYK", (6, 4), (0, 255, 255, 0)).save(tmp_path / "print.jpg", quality=100, icc_profile=cmyk_profile)
    picture = read_image(tmp_path / "print.jpg")
    assert (picture.bits, picture.grey, picture.icc_profile) == (8, False, None)
    red = _samples(picture)[2, 3].astype(int)
    assert red[0] > 240 and red[1] < 15 and red[2] < 15


def _truncated(path: Path) -> None:
    Image.fromarray(_noise((64, 64, 3))).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


BAD_FILES = {
    "missing.png": lambda path: None,
    "folder.png": lambda path: path.mkdir(),
    "empty.png": lambda path: path.touch(),
    "text.png": lambda path: path.write_text("this is not a picture\n"),
    "cut.png": _truncated,
    "cut.jpg": _truncated,
    "float.tif": lambda path: Image.fromarray(np.ones((3, 3), np.float32)).save(path),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_raise_one_clear_line_naming_the_file(tmp_path, name):
    BAD_FILES[name](tmp_path / name)
    with pytest.raises(ImageReadError) as caught:
        read_image(tmp_path / name)
    message = str(caught.value)
    assert name in message and "\n" not in message and len(message) > len(str(tmp_path / name)) + 15


@pytest.mark.parametrize("name, reason", [("out.xyz", "unknown extension"), ("no/such/out.png", "does not exist")])
def test_bad_output_paths_raise_write_error(tmp_path, name, reason):
    with pytest.raises(ImageWriteError, match=reason) as caught:
        write_image(tmp_path / name, Picture(np.zeros((2, 2, 3)), None, 8, False, None))
    assert Path(name).name in str(caught.value)


def test_picture_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="HxWx3"):
        Picture(np.zeros((2, 2)), None, 8, False, None)
    with pytest.raises(ValueError, match="alpha"):
        Picture(np.zeros((2, 2, 3)), np.zeros((3, 2), np.uint8), 8, False, None)
    with pytest.raises(ValueError, match="bits"):
        Picture(np.zeros((2, 2, 3)), None, 12, False, None)


def test_read_mask_grey_values(tmp_path):
    Image.fromarray(np.array([[0, 128, 255]], np.uint8)).save(tmp_path / "mask.png")
    mask = read_mask(tmp_path / "mask.png", (3, 1))
    assert mask.dtype == np.float32 and mask.shape == (1, 3)
    assert mask[0].tolist() == pytest.approx([0.0, 128 / 255, 1.0]) and mask[0, 2] == 1.0


def test_read_mask_16_bit(tmp_path):
    values = np.array([[0, 1, 32768, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "mask.png")
    mask = read_mask(tmp_path / "mask.png", (4, 1))
    assert np.array_equal(quantize(mask, 16), values)


def test_read_mask_rgb_uses_luminance_and_alpha(tmp_path):
    pixels = np.array([[[255, 255, 255, 255], [0, 0, 0, 255], [0, 255, 0, 255], [255, 255, 255, 0]]], np.uint8)
    Image.fromarray(pixels).save(tmp_path / "mask.png")
    mask = read_mask(tmp_path / "mask.png", (4, 1))
    assert mask[0, 0] == 1.0 and mask[0, 1] == 0.0 and mask[0, 3] == 0.0
    assert mask[0, 2] == pytest.approx(0.7152)


def test_read_mask_of_another_size_names_both_sizes(tmp_path):
    Image.new("L", (30, 20)).save(tmp_path / "mask.png")
    with pytest.raises(ImageReadError, match="mask.png is 30x20 but the image is 20x30"):
        read_mask(tmp_path / "mask.png", (20, 30))
