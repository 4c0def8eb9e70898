"""Colour drift of a zoom: brightness and spread, overall and per channel, of its first and last frames.

Run as ``python -m dreamlayer.engine.zoom.drift FOLDER...`` on PNG frame folders (0-255 levels).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..video.io import read_frame
from .colour import colour_stats


def describe(frame: np.ndarray) -> str:
    (r, g, b), (sr, sg, sb) = colour_stats(frame.astype(np.float64))
    return f"mean {frame.mean():6.1f}  R {r:6.1f}  G {g:6.1f}  B {b:6.1f}  spread R {sr:5.1f} G {sg:5.1f} B {sb:5.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dreamlayer.engine.zoom.drift", description=__doc__.split("\n")[0])
    p.add_argument("folders", type=Path, nargs="+", help="folders of numbered PNG frames (zoom -o FOLDER)")
    for folder in p.parse_args(argv).folders:
        frames = sorted(folder.glob("*.png"))
        if not frames:
            print(f"{folder}: no PNG frames", file=sys.stderr)
            return 2
        first, last = read_frame(frames[0]), read_frame(frames[-1])
        print(f"{folder}:\n  frame 1   {describe(first)}\n  frame {len(frames):<3} {describe(last)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
