"""A clip with known motion made from a still: a camera gliding over a photo (pan, zoom, turn).

For testing and measuring video dreams where no real footage can be had. Run as
``python -m dreamlayer.engine.video.camera PHOTO -o CLIP.mp4 [--frames N] [--size WxH] [--fps N] [--tone HZ]``.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..imageio import read_image
from ..zoom.path import EASINGS
from .io import write_clip
from .needs import need
from .options import parse_size

# the window over the photo at the start and the end: centre (fractions), width (fraction), turn (degrees)
START = ((0.38, 0.42), 0.62, -4.0)
END = ((0.60, 0.56), 0.46, 4.0)


def camera_frames(photo: np.ndarray, frames: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """``frames`` float frames of ``size`` (width, height): the window eases from START to END."""
    cv2 = need("cv2")
    width, height = size
    # shrink the photo first (area averaging) so the window samples it at about its own resolution
    factor = min(1.0, 1.25 * width / (START[1] * photo.shape[1]))
    small = cv2.resize(photo, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else photo
    ph, pw = small.shape[:2]
    for index in range(frames):
        t = EASINGS["in-out"](index / max(1, frames - 1))
        cx = (START[0][0] + (END[0][0] - START[0][0]) * t) * pw
        cy = (START[0][1] + (END[0][1] - START[0][1]) * t) * ph
        scale = (START[1] + (END[1] - START[1]) * t) * pw / width  # photo px per frame px
        angle = math.radians(START[2] + (END[2] - START[2]) * t)
        a, b = scale * math.cos(angle), scale * math.sin(angle)
        # frame pixel (x, y) -> photo pixel: centre + scaled, turned offset from the frame's centre
        ox, oy = (width - 1) / 2, (height - 1) / 2
        matrix = np.array([[a, -b, cx - a * ox + b * oy], [b, a, cy - b * ox - a * oy]])
        frame = cv2.warpAffine(small, matrix, (width, height), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT_101)
        yield np.clip(frame, 0.0, 1.0)


def write_tone(path: Path, seconds: float, hertz: float, rate: int = 22050) -> None:
    """A quiet sine as 16-bit mono WAV: a sound track to check that audio is kept."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.2 * 32767 * np.sin(2 * np.pi * hertz * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


def make_clip(photo: Path, output: Path, frames: int, size: tuple[int, int], fps: float,
              tone: float | None = None) -> None:
    picture = read_image(photo).rgb
    with tempfile.TemporaryDirectory() as folder:
        audio = None
        if tone:
            audio = Path(folder) / "tone.wav"
            write_tone(audio, frames / fps + 1, tone)
        write_clip(output, list(camera_frames(picture, frames, size)), fps, "camera path over " + photo.name, audio)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dreamlayer.engine.video.camera", description=__doc__.split("\n")[0])
    p.add_argument("photo", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="CLIP.mp4 or .webm")
    p.add_argument("--frames", type=int, default=48)
    p.add_argument("--size", type=parse_size, default=(256, 192), metavar="WxH")
    p.add_argument("--fps", type=float, default=12)
    p.add_argument("--tone", type=float, metavar="HZ", help="add a sine sound track")
    args = p.parse_args(argv)
    make_clip(args.photo, args.output, args.frames, args.size, args.fps, args.tone)
    print(f"{args.output}: {args.frames} frames, {args.size[0]}x{args.size[1]}, {args.fps:g} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
