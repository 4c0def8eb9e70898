"""What the dream loop asks of a network, whichever library runs it."""
from __future__ import annotations

from typing import Optional, Protocol

import numpy as np

from dreamlayer import objective as spec
from dreamlayer.objective import Objective, Sum
from dreamlayer.settings import DreamSettings

from ..lanes import Lanes
from ..parse import parse


class Backend(Protocol):
    """The objective's value and input gradient on a tile (1 x 3 x h x w float32 RGB in [0, 1])."""

    name: str  # "torch" or "onnx"
    device: str  # where it runs, as reports show it: "cpu", "cuda:0", "onnx:CPUExecutionProvider"
    objective: Objective  # as compiled: class names resolved
    layers: list[str]  # the layers the objective reads
    lanes: Optional[Lanes]  # computes tiles side by side (the CPU); None: one at a time (a GPU)

    @property
    def labels(self) -> list[str]:
        """Class names, in the logits' order; empty where the network as loaded has no logits."""
        ...

    @property
    def input_size(self) -> int:
        """The picture size (px) the network was trained at: a visualization's default size."""
        ...

    def gradient(self, tile: np.ndarray) -> tuple[np.ndarray, float]:
        """d objective / d tile (same shape, float32) and the objective."""
        ...

    def value(self, tile: np.ndarray) -> float:
        """The objective alone: forward only, for before/after figures."""
        ...

    def logits(self, tile: np.ndarray) -> Optional[np.ndarray]:
        """The class scores before the softmax (one per label), or None where the network as loaded
        has no logits (a graph exported up to an earlier layer): for reports of what it sees."""
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
