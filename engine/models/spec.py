"""What the registry knows about one network: how to build it, feed it and dream on it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn


@dataclass(frozen=True)
class Preprocess:
    """Maps an RGB image in [0, 1] to what the network was trained on: (x - mean) / std."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    bgr: bool = False  # channel order the network expects

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.bgr:
            x = x.flip(1)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std


IMAGENET = Preprocess((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
TF_LITE = Preprocess((127 / 255,) * 3, (128 / 255,) * 3)


@dataclass(frozen=True)
class LayerDef:
    """A dreamable layer: the name users type and the module whose output it is."""

    name: str
    module: str
    hint: str = ""


@dataclass(frozen=True)
class Weights:
    """Where the weight file comes from. ``url`` downloadable entries, ``locate`` bundled ones."""

    sha256: str
    filename: str
    size: int = 0
    url: Optional[str] = None
    locate: Optional[Callable[[], Optional[Path]]] = None  # a file shipped by an installed package


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    build: Callable[[], nn.Module]  # architecture with untrained weights
    weights: Weights
    preprocess: Callable[[torch.Tensor], torch.Tensor]  # RGB [0, 1] batch -> network input
    layers: tuple[LayerDef, ...]
    default_layer: str
    labels: Callable[[], list[str]]
    input_size: int = 224
    finalize: Callable[[nn.Module], None] = field(default=lambda net: None)  # after loading weights
    # An imported ONNX classifier's file holds its architecture and weights both: build() reads it
    # (no torch.load), and its layers' channels and strides were found at import.
    weights_inside: bool = False
    known_shapes: dict[str, tuple[int, int]] = field(default_factory=dict)  # layer -> (channels, stride)
