"""Flicker: how much an output changes between frames beyond what the source's motion explains.

For each pair of consecutive frames, the earlier output frame is warped along the source's
optical flow onto the later one, and the mean absolute difference (0-255 levels) is taken over
the pixels where the flow is trustworthy. A perfectly coherent dream scores what the source
itself scores (the warp's own error); a dream that re-rolls every frame scores far more. Run as
``python -m dreamlayer.engine.video.flicker SOURCE OUTPUT...``.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .flow import flow, grey, trust, warp_back
from .io import open_clip


def flicker(source: Iterable[np.ndarray], output: Iterable[np.ndarray], method: str = "dis") -> float:
    """Mean motion-compensated frame difference of ``output`` (float frames), 0-255 levels."""
    scores = []
    previous: tuple[np.ndarray, np.ndarray] | None = None  # the last (source, output) frames
    for src, out in zip(source, output):
        if previous is not None:
            before_src, before_out = previous
            now, before = grey(src), grey(before_src)
            to_before = flow(now, before, method)
            mask = trust(to_before, flow(before, now, method)) > 0.99
            difference = np.abs(out - warp_back(before_out, to_before)).mean(axis=2)
            scores.append(float(difference[mask].mean()) * 255)
        previous = src, out
    if not scores:
        raise ValueError("flicker needs at least two frames")
    return float(np.mean(scores))


def strength(source: Iterable[np.ndarray], output: Iterable[np.ndarray]) -> float:
    """How much the dream changed the frames: mean absolute difference to the source, 0-255 levels.

    Flicker grows with the dream's strength, so compare flicker at similar strength."""
    return float(np.mean([np.abs(out - src).mean() * 255 for src, out in zip(source, output)]))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dreamlayer.engine.video.flicker", description=__doc__.split("\n")[0])
    p.add_argument("source", type=Path, help="the clip that was dreamed")
    p.add_argument("outputs", type=Path, nargs="+", help="dreamed clips of it (same size)")
    args = p.parse_args(argv)
    source = open_clip(args.source)
    print(f"{args.source}: flicker {flicker(source.read(), source.read()):.2f} (the source itself: the floor)")
    for path in args.outputs:
        output = open_clip(path)
        print(f"{path}: flicker {flicker(source.read(), output.read()):.2f}, "
              f"strength {strength(source.read(), output.read()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
