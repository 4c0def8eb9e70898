"""Dreaming a clip frame by frame without flicker.

Each frame starts from the previous dreamed frame warped along the source's optical flow (so
the dream moves with the scene), blended with the fresh frame by ``blend`` (so the dream stays
anchored to what is filmed instead of piling up), and from the fresh frame alone where the
flow cannot be trusted (occlusions, picture edges). The whole previous dream is warped, not its
difference to the source, so a still camera does not brighten frame after frame.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dreamlayer.settings import DreamSettings

from ..deepdream import dream
from .flow import flow, grey, trust, warp_back
from .io import Clip


Flows = tuple[np.ndarray, np.ndarray]  # frame t to t-1 and t-1 to t


def pair_flows(source: np.ndarray, previous_source: np.ndarray, method: str) -> Flows:
    """The flows between two source frames that carrying a dream needs; they depend on the source
    alone, so a whole clip's can be computed ahead, in parallel."""
    now, before = grey(source), grey(previous_source)
    return flow(now, before, method), flow(before, now, method)


def start_picture(source: np.ndarray, previous_source: np.ndarray, previous_dream: np.ndarray, blend: float,
                  method: str, flows: Flows | None = None) -> np.ndarray:
    """Where frame t's dream starts: see the module doc. ``method`` 'none' blends without flow (ghosts).

    ``flows``: :func:`pair_flows` of the two frames, if computed already.
    """
    if blend >= 1:
        return source
    if method == "none":
        return (1 - blend) * previous_dream + blend * source
    to_before, to_now = flows or pair_flows(source, previous_source, method)
    carried = warp_back(previous_dream, to_before)
    weight = (1 - blend) * trust(to_before, to_now)[..., None]
    return (source + weight * (carried - source)).astype(np.float32)


class VideoJob:
    """A render Job (engine.video.render) that dreams the frames of ``clip``."""

    def __init__(self, clip: Clip, settings: DreamSettings, blend: float, method: str) -> None:
        self.clip, self.settings, self.blend, self.method = clip, settings, blend, method
        self.frames: Iterator[np.ndarray] | None = None

    def start(self, done: int, state: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        self.frames = iter(self.clip.read(skip=done))
        return state or {}

    def step(self, index: int, state: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if self.frames is None:
            raise RuntimeError("VideoJob.step before start")
        source = next(self.frames)
        picture = source if index == 0 else start_picture(source, state["source"], state["dream"], self.blend,
                                                          self.method)
        dreamed = dream(picture, self.settings).image
        return dreamed, {"source": source, "dream": dreamed}
