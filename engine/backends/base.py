"""What the dream loop asks of a network, whichever library runs it."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from dreamlayer import objective as spec
from dreamlayer.objective import Objective, Sum
from dreamlayer.settings import DreamSettings

from ..parse import parse


class Backend(Protocol):
    """The objective's value and input gradient on a tile (1 x 3 x h x w float32 RGB in [0, 1])."""

    name: str  # "torch" or "onnx"
    device: str  # where it runs, as reports show it: "cpu", "cuda:0", "onnx:CPUExecutionProvider"
    objective: Objective  # as compiled: class names resolved
    layers: list[str]  # the layers the objective reads

    def gradient(self, tile: np.ndarray) -> tuple[np.ndarray, float]:
        """d objective / d tile (same shape, float32) and the objective."""
        ...

    def value(self, tile: np.ndarray) -> float:
        """The objective alone: forward only, for before/after figures."""
        ...

    def peak_gpu_bytes(self) -> int:
        """The most accelerator memory it held so far (0 where it cannot tell or runs on the CPU)."""
        ...


def requested(settings: DreamSettings, default_layer: str) -> Objective:
    """The objective ``settings`` ask for: the expression, else amplifying the chosen layers (or
    the model's default layer)."""
    if settings.objective and settings.objective.strip():
        return parse(settings.objective)
    return Sum.of(tuple((1.0, spec.layer(name)) for name in settings.layers or [default_layer]))
