"""The zoom loop: dream a frame, hold its colour, move it by the camera, dream again.

The state between frames is the float32 picture the dream returned, never an 8-bit copy, and
each move resamples it once with Lanczos; the written frames are rounded copies.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from dreamlayer.settings import DreamSettings

from ..deepdream import dream
from .colour import colour_stats, hold_colour
from .path import CameraPath
from .schedule import Schedule
from .warp import warp


class ZoomJob:
    """A render Job (engine.video.render) for the endless zoom."""

    def __init__(self, start: np.ndarray, settings: DreamSettings, path: CameraPath, schedule: Schedule,
                 hold: float, palette: np.ndarray | None = None) -> None:
        self.first, self.settings, self.path, self.schedule = start, settings, path, schedule
        self.hold, self.palette = hold, palette

    def start(self, done: int, state: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        if state is not None:
            return state
        fresh = {"picture": self.first.astype(np.float32)}
        if self.palette is not None:
            fresh["reference"] = colour_stats(self.palette)
        return fresh

    def step(self, index: int, state: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        picture = state["picture"] if index == 0 else warp(state["picture"], self.path.at(index))
        settings = replace(self.settings, objective=self.schedule.at(index), layers=[])
        dreamed = dream(picture, settings).image
        reference = state.get("reference")
        if reference is None:  # the first dreamed frame is the reference unless a palette was given
            reference = colour_stats(dreamed)
        held = hold_colour(dreamed, reference, self.hold)
        return held, {"picture": held, "reference": reference}
