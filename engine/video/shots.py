"""A clip cut into pieces that can be dreamed apart: at its scene changes, and long shots again.

A dream carried along the optical flow is a chain, frame after frame, so one clip is one long
sequential job. Across a real cut the chain means nothing (the new scene shares no motion with the
old), so shots can be dreamed side by side. A long shot is also cut into pieces; there the cut is
not in the film, so the next piece starts a few frames early and its first frames are faded in
over the end of the piece before it, hiding the restart of its dream.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dreamlayer.settings import DreamSettings

from ..deepdream import dream
from ..zoom.settings import SHOT_CUT
from .dream_video import Flows, pair_flows, start_picture

BINS = 16  # per colour channel


def histogram(frame: np.ndarray) -> np.ndarray:
    """The frame's colour distribution: BINS bins per channel, each channel's summing to 1."""
    levels = np.clip((np.asarray(frame, np.float32) * BINS).astype(np.int64), 0, BINS - 1)
    counts = np.stack([np.bincount(levels[..., c].ravel(), minlength=BINS) for c in range(3)])
    return counts / counts.sum(axis=1, keepdims=True)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation between two histograms, averaged over the channels: 0 to 1."""
    return float(np.abs(a - b).sum(axis=1).mean() / 2)


def find_cuts(frames: Iterable[np.ndarray], threshold: float = SHOT_CUT) -> list[int]:
    """Indices of the frames that start a new scene (never 0)."""
    cuts, previous = [], None
    for index, frame in enumerate(frames):
        current = histogram(frame)
        if previous is not None and distance(previous, current) > threshold:
            cuts.append(index)
        previous = current
    return cuts


@dataclass(frozen=True)
class Piece:
    """Frames ``first``..``stop - 1`` are dreamed in one chain; ``start``..``stop - 1`` are its own.

    ``first < start`` when the piece continues a shot: its frames before ``start`` are faded in
    over the end of the piece before it.
    """

    first: int
    start: int
    stop: int

    @property
    def lead(self) -> int:
        return self.start - self.first


def pieces(total: int, cuts: Sequence[int], longest: int, overlap: int) -> list[Piece]:
    """The clip's ``total`` frames as pieces of at most ``longest`` own frames, split at every cut."""
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < total), total]
    found = []
    for begin, end in zip(bounds, bounds[1:]):
        for start in range(begin, end, longest):
            lead = min(overlap, start - begin)  # at a real cut nothing is faded
            found.append(Piece(start - lead, start, min(end, start + longest)))
    return found


def fade(before: np.ndarray, after: np.ndarray, position: int, length: int) -> np.ndarray:
    """Frame ``position`` (0-based) of a ``length``-frame cross-fade from ``before`` to ``after``."""
    weight = (position + 1) / (length + 1)
    return ((1 - weight) * before + weight * after).astype(np.float32)


def dream_piece(frames: Sequence[np.ndarray], flows: Sequence[Flows] | None, settings: DreamSettings,
                blend: float, method: str) -> list[np.ndarray]:
    """Dream a piece's frames in order as `dream-video` does: each from the last, carried along the flow.

    ``flows[i]``: :func:`pair_flows` of frames i + 1 and i, computed ahead (None: computed here).
    """
    dreamed: list[np.ndarray] = []
    for index, source in enumerate(frames):
        if index == 0:
            picture = source
        else:
            known = None if flows is None or method == "none" or blend >= 1 else flows[index - 1]
            picture = start_picture(source, frames[index - 1], dreamed[-1], blend, method, known)
        dreamed.append(dream(picture, settings).image)
    return dreamed


def piece_flows(frames: Sequence[np.ndarray], method: str) -> list[Flows]:
    """:func:`pair_flows` of every pair of neighbouring frames."""
    return [pair_flows(now, before, method) for before, now in zip(frames, frames[1:])]
