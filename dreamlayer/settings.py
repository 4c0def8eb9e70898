"""Dream settings shared by the engine, the command line, the worker protocol and the dialog.

Standard library only: the dialog runs inside Krita's and GIMP's Python, which have
no numpy or torch. This module is the single source of truth for every default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional

DEFAULT_MODEL = "efficientnet-lite0"
# px: tiles hold at most DEFAULT_TILE**2 pixels. About 0.2 MP per tile was fastest on a 2-core
# CPU with a 32 MB L3 (per step: 1024x768 as 4 tiles 215 ms, as 2 tiles 260 ms; 731x548 as 2
# tiles 109 ms, as 4 tiles 126 ms; 522x391 as 1 tile 54 ms, as 2 tiles 66 ms), and it keeps a
# 4000x3000 photo well under 2 GiB with the default model.
DEFAULT_TILE = 460


@dataclass
class DreamSettings:
    """Everything that decides what a dream looks like, apart from the image and mask."""

    model: str = DEFAULT_MODEL
    layers: list[str] = field(default_factory=list)  # empty: the model's default layer
    objective: Optional[str] = None  # an objective expression; overrides ``layers``
    pattern_size: float = 1.0  # the dream's patterns relative to the picture; 2 = twice as large
    octaves: Optional[int] = None  # a fixed octave count instead (patterns then a fixed size in px)
    octave_scale: float = 1.4
    steps: int = 10  # per octave
    step_size: float = 0.006  # [0, 1] image units per step; the 2015 notebook's 1.5 of 255
    jitter: int = 32  # maximum random roll in pixels, per step
    seed: int = 0
    tile: Optional[int] = None  # tiles hold at most tile*tile pixels; None: DEFAULT_TILE
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DreamSettings":
        """Build from a (possibly older or partial) dict, ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
