"""Reading clips and writing frame sequences: MP4/WebM through imageio-ffmpeg (its own ffmpeg),
GIF/WebP through Pillow, or a folder of zero-padded PNG frames.

Every file is written beside its final name and moved into place only when complete, so a
player never sees half a video, and an interrupted render's partial output is a whole file.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from ..errors import DreamError
from ..files import replacing  # temp file beside, os.replace; writers name their format
from ..imageio import quantize
from .needs import need

VIDEO_CODECS = {".mp4": "libx264", ".webm": "libvpx-vp9"}
AUDIO_CODECS = {".mp4": "aac", ".webm": "libopus"}
ANIMATIONS = (".gif", ".webp")
FRAME_DIGITS = 6  # 000000.png ... 999999.png sort in frame order everywhere
METADATA_KEY = "dreamlayer"  # PNG text key, for frames and the recipe


def output_kind(path: Path) -> str:
    """'.mp4', '.webm', '.gif', '.webp', or 'frames' (a folder of PNGs: a path without a file extension)."""
    suffix = path.suffix.lower() if any(c.isalpha() for c in path.suffix) and not path.is_dir() else ""  # run0.5/
    if suffix and suffix not in VIDEO_CODECS and suffix not in ANIMATIONS:
        raise DreamError(f"cannot write {path}: use .mp4, .webm, .gif, .webp, or a folder name for PNG frames")
    if not path.parent.is_dir():
        raise DreamError(f"cannot write {path}: folder {path.parent} does not exist")
    if not suffix and path.exists() and not path.is_dir():
        raise DreamError(f"cannot write frames into {path}: it is a file")
    return suffix or "frames"


def frame_name(index: int) -> str:
    return f"{index:0{FRAME_DIGITS}d}.png"


def to_bytes(frame: np.ndarray) -> np.ndarray:
    """Float [0, 1] HxWx3 to uint8, rounding (as stills are written)."""
    return quantize(frame, 8)


def write_frame(path: Path, frame: np.ndarray, text: str) -> None:
    """One PNG frame with ``text`` (the recipe) in a tEXt chunk, atomically."""
    info = PngImagePlugin.PngInfo()
    info.add_text(METADATA_KEY, text)
    with replacing(path) as temporary:
        Image.fromarray(to_bytes(frame)).save(temporary, "PNG", pnginfo=info, compress_level=4)


def read_frame(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def encode(path: Path, frames: list[Path], fps: float, comment: str, audio: Path | None = None) -> None:
    """Write the PNG ``frames`` as the video or animation ``path`` names, with ``comment`` in its metadata.

    ``audio``: a file whose first audio stream is muxed in, cut to the video's length.
    """
    if not frames:
        raise DreamError(f"no frames to write to {path}")
    suffix = path.suffix.lower()
    with replacing(path) as temporary:
        if suffix in VIDEO_CODECS:
            _encode_video(temporary, suffix, (read_frame(f) for f in frames), len(frames), fps, comment, audio)
        else:
            _encode_animation(temporary, suffix, frames, fps, comment)


def _encode_video(path: Path, suffix: str, frames: Iterable[np.ndarray], frames_count: int, fps: float,
                  comment: str, audio: Path | None) -> None:
    """``frames_count`` uint8 HxWx3 ``frames`` into an MP4 (H.264) or WebM (VP9), with ``audio``'s sound."""
    ffmpeg = need("imageio_ffmpeg")
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    # yuv420p halves colour resolution: odd sizes are padded by one edge pixel, never scaled
    params = ["-f", suffix[1:], "-metadata", f"comment={comment}", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
    params += ["-movflags", "+faststart", "-crf", "18"] if suffix == ".mp4" else ["-crf", "30", "-b:v", "0"]
    if audio is not None:  # cut the sound at the last frame (-shortest drops the last frame or two)
        params += ["-t", f"{frames_count / fps:.6f}"]
    writer = ffmpeg.write_frames(str(path), (width, height), fps=fps, codec=VIDEO_CODECS[suffix], quality=None,
                                 macro_block_size=1, output_params=params, ffmpeg_log_level="error",
                                 audio_path=None if audio is None else str(audio),
                                 audio_codec=None if audio is None else AUDIO_CODECS[suffix])
    writer.send(None)
    try:
        for frame in itertools.chain([first], frames):
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()


def _encode_animation(path: Path, suffix: str, frames: list[Path], fps: float, comment: str) -> None:
    duration = round(1000 / fps)
    pictures = [Image.fromarray(read_frame(frame)) for frame in frames]
    if suffix == ".gif":
        pictures[0].save(path, "GIF", save_all=True, append_images=pictures[1:], duration=duration, loop=0,
                         comment=comment.encode("utf-8"), optimize=False)
    else:
        exif = Image.Exif()
        exif[0x010E] = comment  # ImageDescription
        pictures[0].save(path, "WEBP", save_all=True, append_images=pictures[1:], duration=duration, loop=0,
                         quality=90, method=4, exif=exif.tobytes())


@dataclass
class Clip:
    """A video file's frames as float32 HxWx3 in [0, 1], decoded on demand."""

    path: Path
    fps: float
    size: tuple[int, int]  # width, height
    frames: int
    has_audio: bool

    def read(self, skip: int = 0) -> Iterable[np.ndarray]:
        ffmpeg = need("imageio_ffmpeg")
        reader = ffmpeg.read_frames(str(self.path))
        next(reader)  # the metadata
        width, height = self.size
        try:
            for index, raw in enumerate(reader):
                if index >= skip:
                    yield np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.float32) / 255
        finally:
            reader.close()


def open_clip(path: Path) -> Clip:
    """A clip's size, rate, length and whether it has sound; a one-line DreamError if it is no video."""
    if not path.is_file():
        raise DreamError(f"cannot read {path}: no such file")
    ffmpeg = need("imageio_ffmpeg")
    try:
        reader = ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
        frames, _ = ffmpeg.count_frames_and_secs(str(path))
    except (OSError, RuntimeError, StopIteration) as error:
        reason = " ".join(str(error).split())[:200]
        raise DreamError(f"cannot read {path} as a video: {reason}") from None
    if not frames or not meta.get("fps"):
        raise DreamError(f"cannot read {path} as a video: no frames")
    return Clip(path, float(meta["fps"]), tuple(meta["size"]), frames, bool(meta.get("audio_codec")))


def write_clip(path: Path, frames: list[np.ndarray], fps: float, comment: str = "",
               audio: Path | None = None) -> None:
    """Encode float frames straight to an MP4/WebM (for clips made from stills), atomically."""
    with replacing(path) as temporary:
        _encode_video(temporary, path.suffix.lower(), (to_bytes(f) for f in frames), len(frames), fps, comment, audio)
