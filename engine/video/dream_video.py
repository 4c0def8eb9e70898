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


def start_picture(source: np.ndarray, previous_source: np.ndarray, previous_dream: np.ndarray, blend: float,
                  method: str) -> np.ndarray:
    """Where frame t's dream starts: see the module doc. ``method`` 'none' blends without flow (ghosts)."""
    if blend >= 1:
        return source
    if method == "none":
        return (1 - blend) * previous_dream + blend * source
    now, before = grey(source), grey(previous_source)
    to_before, to_now = flow(now, before, method), flow(before, now, method)
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
