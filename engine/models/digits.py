"""A tiny fully connected classifier of 8x8 handwritten digits, trained by dreamlayer itself.

Small enough to train in seconds (tools/train_digits.py) and to invert exactly: every layer is a
Linear map or an invertible activation, so a class can be projected back into pixels by hand
(engine/visualize/projection.py) as well as imagined by gradient ascent.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from .spec import LayerDef, ModelSpec, Weights

SIDE = 8  # sklearn's digits are 8x8
INK = 16.0  # and run from 0 (blank paper) to 16 (full ink)
PAINT_SIZE = 32  # pictures are painted at this size; the net sees them averaged down to 8x8
HIDDEN = 32
SLOPE = 0.3  # leaky ReLU slope: invertible everywhere, unlike ReLU
LABELS = [str(d) for d in range(10)]

WEIGHTS_FILE = "digits.pth"
WEIGHTS_SHA256 = "9a63e65626e3b7fcb60897604970218799a67dc838b142639720f55364ddb814"
WEIGHTS_SIZE = 11731


class DigitsPreprocess:
    """RGB in [0, 1] of any size -> the 64 ink values in 0..16 the net was trained on.

    Dark is ink, as on paper: a black stroke on white reads like sklearn's scans. The picture is
    averaged down to 8x8 (area), so any size works.
    """

    limits = (0.0, INK)  # the range of the values it produces, for methods that go back to pixels

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        grey = x.mean(dim=1, keepdim=True)
        small = F.adaptive_avg_pool2d(grey, (SIDE, SIDE))
        return (INK * (1.0 - small)).flatten(1)

    def inverse(self, ink: torch.Tensor, size: int) -> torch.Tensor:
        """Batch x 64 ink values -> Batch x 3 x size x size RGB in [0, 1] (nearest-neighbour, blocky on purpose)."""
        grey = (1.0 - ink / INK).clamp(0, 1).view(-1, 1, SIDE, SIDE)
        return F.interpolate(grey, size=(size, size), mode="nearest").expand(-1, 3, -1, -1)


def build_digits_net() -> nn.Sequential:
    """64 -> 32 -> 10; 'act' is the hidden layer users dream on, 'out' the logits."""
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(SIDE * SIDE, HIDDEN)),
        ("act", nn.LeakyReLU(SLOPE)),
        ("out", nn.Linear(HIDDEN, len(LABELS))),
    ]))


def weights_file() -> Path:
    """The committed weight file that ships inside the package."""
    return Path(__file__).parent / "data" / WEIGHTS_FILE


def _locate() -> Optional[Path]:
    path = weights_file()
    return path if path.is_file() else None


def digits_spec() -> ModelSpec:
    return ModelSpec(
        name="digits",
        description="Handwritten digits 0-9 (8x8 grey, sklearn's digits), a 64-32-10 net trained by dreamlayer; "
                    "ships with the package, for seeing a network imagine",
        build=build_digits_net,
        weights=Weights(sha256=WEIGHTS_SHA256, filename=WEIGHTS_FILE, size=WEIGHTS_SIZE, locate=_locate),
        preprocess=DigitsPreprocess(),
        layers=(LayerDef("hidden", "act", "strokes: each unit likes some pieces of digits"),
                LayerDef("logits", "out", "whole digits 0-9")),
        default_layer="logits",
        labels=lambda: list(LABELS),
        input_size=PAINT_SIZE,
    )
