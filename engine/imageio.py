"""Reading and writing pictures so that pixels the dream must not touch survive byte for byte.

Pillow and numpy only. Pillow decodes 16-bit RGB(A) PNG and TIFF files but hands back only
the high byte of each sample and cannot write them at all, so this module reads the low bytes
by decoding the same file a second time through Pillow's unpacker for the opposite byte order,
and writes 16-bit colour PNG and TIFF itself (zlib + struct: both formats are a few chunks).
"""
from __future__ import annotations

import struct
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageFile, ImageOps

from .files import replacing

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
           ".webp": "WEBP", ".bmp": "BMP"}
DEEP_FORMATS = ("PNG", "TIFF")  # formats written at 16 bits when the source had 16
ALPHA_FORMATS = ("PNG", "TIFF", "WEBP")  # BMP alpha is not read back reliably (Pillow ignores it)

# Pillow's rawmodes for 16-bit colour; swapping the byte order makes its unpacker keep the low byte.
_FOREIGN = "B" if sys.byteorder == "little" else "L"  # the opposite of native ("N"), as libtiff hands it
_WIDE_COLOUR = {f"{mode};16{order}": f"{mode};16{swapped}" for mode in ("RGB", "RGBA", "RGBX")
                for order, swapped in (("B", "L"), ("L", "B"), ("N", _FOREIGN))}
# Pillow widens 16-bit grey+alpha PNGs to 8-bit RGBA; 8-bit "RGBA" unpacking keeps all 4 bytes.
_WIDE_GREY_ALPHA = {"LA;16B": "RGBA"}
_GREY_16 = ("I;16", "I;16L", "I;16B", "I;16N")
_DEEP_SUFFIXES = (";16B", ";16L", ";16N")  # 16 bits per sample ("BGR;16" is 16 bits per pixel)
_SHORT, _LONG, _UNDEFINED = 3, 4, 7  # TIFF field types
_CODES = {_SHORT: "H", _LONG: "I"}
_TIFF_BYTES = (1 << 32) - (1 << 26)  # classic TIFF offsets are 32-bit; keep room for deflate overhead
_IDAT_BYTES = 1 << 20  # PNG chunks are limited to 2 GiB; split the image data well below that
_NATIVE = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}  # mode -> samples per pixel
_CONVERTED = {"1": "L", "La": "LA", "PA": "RGBA", "RGBX": "RGB", "RGBa": "RGBA", "YCbCr": "RGB",
              "CMYK": "RGB"}


class ImageReadError(Exception):
    """A picture or mask file that cannot be used; the message names the file and why."""


class ImageWriteError(Exception):
    """An output path that cannot be written; the message names the path and why."""


@dataclass
class Picture:
    """A decoded picture: colour as floats for the engine, everything else kept as stored.

    ``rgb`` is float32 HxWx3 in [0, 1], sRGB as stored (no colour management); greyscale
    sources are repeated into three channels. ``alpha`` holds the original uint8/uint16
    samples so they can be written back untouched.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    bits: int
    grey: bool
    icc_profile: bytes | None

    def __post_init__(self) -> None:
        if self.rgb.ndim != 3 or self.rgb.shape[2] != 3:
            raise ValueError(f"rgb must be HxWx3, not {self.rgb.shape}")
        if self.alpha is not None and self.alpha.shape != self.rgb.shape[:2]:
            raise ValueError(f"alpha {self.alpha.shape} does not match rgb {self.rgb.shape[:2]}")
        if self.bits not in (8, 16):
            raise ValueError(f"bits must be 8 or 16, not {self.bits}")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), Pillow's order, as :func:`read_mask` expects."""
        return self.rgb.shape[1], self.rgb.shape[0]


def quantize(rgb: np.ndarray, bits: int) -> np.ndarray:
    """Float [0, 1] to uint8/uint16, rounding: the exact inverse of how :func:`read_image` scales."""
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, not {bits}")
    top = (1 << bits) - 1
    return np.rint(np.clip(rgb, 0.0, 1.0) * top).astype(np.uint8 if bits == 8 else np.uint16)


def read_image(path: str | Path) -> Picture:
    """Decode a picture upright (EXIF orientation applied) with its exact samples.

    Palette images become RGB(A); a tRNS colour key becomes an alpha channel; CMYK (e.g. from
    print-oriented JPEGs) and YCbCr are converted with Pillow's plain formulas, without colour
    management, and their ICC profile is dropped since it no longer describes the pixels.
    """
    path = _existing_file(path)
    image, rawmodes = _decode(path)
    icc = image.info.get("icc_profile") or None
    if rawmodes & _WIDE_COLOUR.keys():
        low, _ = _decode(path, _WIDE_COLOUR)
        high_bytes, low_bytes = np.asarray(image), np.asarray(low)
        samples = high_bytes.astype(np.uint16) << 8 | low_bytes
    elif rawmodes & _WIDE_GREY_ALPHA.keys():
        raw = np.asarray(_decode(path, _WIDE_GREY_ALPHA)[0]).astype(np.uint16)
        samples = np.stack([raw[..., 0] << 8 | raw[..., 1], raw[..., 2] << 8 | raw[..., 3]], axis=2)
    elif any(mode.endswith(_DEEP_SUFFIXES) for mode in rawmodes) and image.mode not in _GREY_16:
        raise ImageReadError(f"cannot read {path}: 16-bit {image.mode} stored as {'/'.join(sorted(rawmodes))} "
                             "is not supported (save it as 8-bit, or as 16-bit RGB/RGBA)")
    else:
        samples = _samples(path, image)
    if image.mode == "CMYK":
        icc = None
    if samples.shape[2] in (1, 3) and "transparency" in image.info:
        samples = _with_keyed_alpha(samples, image.info["transparency"])
    return _picture(samples, icc)


def read_mask(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    """Float32 HxW in [0, 1]: white dreams fully, black not at all.

    ``size`` is the picture's (width, height) (:attr:`Picture.size`). Colour masks count by
    luminance (Rec. 709); transparent mask pixels count as black.
    """
    mask = read_image(path)
    if mask.size != tuple(size):
        raise ImageReadError(f"mask {path} is {mask.size[0]}x{mask.size[1]} but the image is {size[0]}x{size[1]}")
    weights = (1.0, 0.0, 0.0) if mask.grey else (0.2126, 0.7152, 0.0722)
    value = mask.rgb.astype(np.float64) @ np.asarray(weights)
    if mask.alpha is not None:
        value *= mask.alpha / float(np.iinfo(mask.alpha.dtype).max)
    return np.clip(value, 0.0, 1.0).astype(np.float32)


def output_format(path: str | Path) -> str:
    """The Pillow format for an output path, or ImageWriteError; lets callers fail before a long dream."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageWriteError(f"cannot write {path}: unknown extension '{path.suffix}' "
                              f"(use {', '.join(FORMATS)})")
    if not path.parent.is_dir():
        raise ImageWriteError(f"cannot write {path}: folder {path.parent} does not exist")
    return fmt


def write_image(path: str | Path, picture: Picture, original: Picture | None = None) -> None:
    """Write in the format the extension names, keeping what the dream must not change.

    ``original``, when given, is the picture the result was made from: its alpha, bit depth and
    ICC profile are used instead of ``picture``'s. 16-bit sources stay 16-bit in PNG and TIFF and
    become 8-bit elsewhere. Greyscale sources are written as RGB, since the dream adds colour.
    Alpha is written untouched except in JPEG and BMP, where it is dropped (JPEG has none; BMP
    readers, Pillow included, ignore it). JPEG is quality 95 with full-resolution colour; WebP is
    lossless, so unmasked pixels survive there too. Only an RGB ICC profile is embedded. No EXIF
    is written, so no stale orientation tag can turn the already upright pixels again. The file
    is replaced atomically, so a failed write never leaves half a file in place of the original.
    """
    path = Path(path)
    fmt = output_format(path)
    source = original if original is not None else picture
    if source.alpha is not None and source.alpha.shape != picture.rgb.shape[:2]:
        raise ValueError(f"alpha {source.alpha.shape} does not match rgb {picture.rgb.shape[:2]}")
    bits = 16 if source.bits == 16 and fmt in DEEP_FORMATS else 8
    samples = quantize(picture.rgb, bits)
    if source.alpha is not None and fmt in ALPHA_FORMATS:
        samples = np.dstack([samples, _rescale(source.alpha, bits)])
    if fmt == "TIFF" and samples.nbytes > _TIFF_BYTES:
        raise ImageWriteError(f"cannot write {path}: too large for a TIFF file (4 GiB); write a PNG instead")
    icc = source.icc_profile if source.icc_profile and source.icc_profile[16:20] == b"RGB " else None
    with replacing(path, ImageWriteError) as temporary:
        if bits == 16:
            (_write_png16 if fmt == "PNG" else _write_tiff16)(temporary, samples, icc)
        else:
            Image.fromarray(samples).save(temporary, fmt, **_options(fmt, icc))


def _existing_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"cannot read {path}: no such file")
    if not path.is_file():
        raise ImageReadError(f"cannot read {path}: it is a folder, not a file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"cannot read {path}: the file is empty")
    return path


@contextmanager
def _pillow_errors(path: Path) -> Iterator[None]:
    """Turn whatever Pillow raises on a broken or foreign file into one clear line."""
    try:
        yield
    except Image.UnidentifiedImageError as error:
        raise ImageReadError(f"cannot read {path}: not an image, or a format Pillow cannot open") from error
    except Exception as error:  # Pillow's plugins raise many types on malformed data
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ImageReadError(f"cannot read {path}: {reason}") from error


def _decode(path: Path, rawmodes: dict[str, str] | None = None) -> tuple[Image.Image, set[str]]:
    """Load upright, optionally unpacking tiles with other rawmodes; also return the file's rawmodes."""
    with _pillow_errors(path), Image.open(path) as image:
        found = {_rawmode(tile) for tile in image.tile}
        if rawmodes:
            image.tile = [tile._replace(args=_with_rawmode(tile.args, rawmodes)) for tile in image.tile]
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return image, found


def _rawmode(tile: ImageFile._Tile) -> str:
    args = tile.args
    if isinstance(args, tuple) and args:
        args = args[0]
    return args if isinstance(args, str) else ""


def _with_rawmode(args: object, rawmodes: dict[str, str]) -> object:
    if isinstance(args, str):
        return rawmodes.get(args, args)
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return (rawmodes.get(args[0], args[0]),) + args[1:]
    return args


def _samples(path: Path, image: Image.Image) -> np.ndarray:
    """HxWxC uint8/uint16 samples; C is 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)."""
    if image.mode in _GREY_16:
        return np.asarray(image).astype(np.uint16)[..., None]
    target = _CONVERTED.get(image.mode)
    if image.mode == "P":
        target = "RGBA" if "transparency" in image.info else "RGB"
    if target:
        with _pillow_errors(path):
            image = image.convert(target)
    if image.mode not in _NATIVE:
        kind = {"F": "32-bit float", "I": "32-bit integer"}.get(image.mode, image.mode)
        raise ImageReadError(f"cannot read {path}: {kind} images are not supported "
                             "(use 8- or 16-bit integer RGB, RGBA or greyscale)")
    return np.asarray(image).reshape(image.height, image.width, _NATIVE[image.mode])


def _with_keyed_alpha(samples: np.ndarray, key: int | tuple[int, ...]) -> np.ndarray:
    """A tRNS colour key (one colour fully transparent) as an explicit alpha channel."""
    hit = np.all(samples == np.asarray(key, samples.dtype).reshape(-1), axis=2)
    alpha = np.where(hit, 0, np.iinfo(samples.dtype).max).astype(samples.dtype)
    return np.dstack([samples, alpha])


def _picture(samples: np.ndarray, icc: bytes | None) -> Picture:
    channels = samples.shape[2]
    grey = channels < 3
    colour = samples[..., :1] if grey else samples[..., :3]
    top = np.float32(np.iinfo(samples.dtype).max)
    rgb = colour.astype(np.float32) / top
    return Picture(rgb=np.repeat(rgb, 3, axis=2) if grey else rgb,
                   alpha=samples[..., -1].copy() if channels in (2, 4) else None,
                   bits=8 * samples.dtype.itemsize, grey=grey, icc_profile=icc)


def _rescale(alpha: np.ndarray, bits: int) -> np.ndarray:
    if alpha.dtype.itemsize * 8 == bits:
        return alpha
    return quantize(alpha / float(np.iinfo(alpha.dtype).max), bits)


def _options(fmt: str, icc: bytes | None) -> dict[str, object]:
    profile: dict[str, object] = {"icc_profile": icc} if icc else {}
    options: dict[str, dict[str, object]] = {
        "PNG": profile,
        "JPEG": {"quality": 95, "subsampling": 0, **profile},
        "TIFF": {"compression": "tiff_adobe_deflate", **profile},
        "WEBP": {"lossless": True, "exact": True, **profile},
        "BMP": {},
    }
    return options[fmt]


def _write_png16(path: Path, samples: np.ndarray, icc: bytes | None) -> None:
    """16-bit RGB/RGBA PNG, rows Sub-filtered (differences to the pixel on the left)."""
    height, width, channels = samples.shape
    rows = samples.astype(">u2").view(np.uint8).reshape(height, width * channels * 2)
    step = channels * 2
    filtered = rows.copy()
    filtered[:, step:] -= rows[:, :-step]
    data = np.hstack([np.ones((height, 1), np.uint8), filtered]).tobytes()
    colour_type = 2 if channels == 3 else 6

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if icc:
        parts.append(chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc)))
    compressed = zlib.compress(data, 6)
    parts += [chunk(b"IDAT", compressed[at:at + _IDAT_BYTES]) for at in range(0, len(compressed), _IDAT_BYTES)]
    parts.append(chunk(b"IEND", b""))
    path.write_bytes(b"".join(parts))


def _write_tiff16(path: Path, samples: np.ndarray, icc: bytes | None) -> None:
    """16-bit RGB/RGBA little-endian TIFF, Deflate with horizontal predictor, in ~256 KiB strips."""
    height, width, channels = samples.shape
    differences = samples.astype("<u2")
    differences[:, 1:] -= samples[:, :-1]
    rows_per_strip = max(1, (1 << 18) // (width * channels * 2))
    strips = [zlib.compress(differences[y:y + rows_per_strip].tobytes(), 6)
              for y in range(0, height, rows_per_strip)]
    offsets, position = [], 8
    for strip in strips:
        offsets.append(position)
        position += len(strip) + len(strip) % 2
    tags: dict[int, tuple[int, list[int] | bytes]] = {
        256: (_LONG, [width]), 257: (_LONG, [height]), 258: (_SHORT, [16] * channels), 259: (_SHORT, [8]),
        262: (_SHORT, [2]), 273: (_LONG, offsets), 277: (_SHORT, [channels]), 278: (_LONG, [rows_per_strip]),
        279: (_LONG, [len(strip) for strip in strips]), 284: (_SHORT, [1]), 317: (_SHORT, [2])}
    if channels == 4:
        tags[338] = (_SHORT, [2])  # unassociated alpha
    if icc:
        tags[34675] = (_UNDEFINED, icc)
    ifd_at = position
    extra_at = ifd_at + 2 + 12 * len(tags) + 4
    entries, extra = [], b""
    for tag, (kind, values) in sorted(tags.items()):
        packed = values if isinstance(values, bytes) else struct.pack(f"<{len(values)}{_CODES[kind]}", *values)
        if len(packed) <= 4:
            field = packed.ljust(4, b"\0")
        else:
            field = struct.pack("<I", extra_at + len(extra))
            extra += packed + b"\0" * (len(packed) % 2)
        entries.append(struct.pack("<HHI", tag, kind, len(values)) + field)
    body = b"".join(strip + b"\0" * (len(strip) % 2) for strip in strips)
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    path.write_bytes(b"II" + struct.pack("<HI", 42, ifd_at) + body + ifd + extra)
