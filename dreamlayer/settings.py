"""Dream settings shared by the engine, the command line, the worker protocol and the dialog.

Standard library only: the dialog runs inside Krita's and GIMP's Python, which have
no numpy or torch. This module is the single source of truth for every default.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional

DEFAULT_MODEL = "efficientnet-lite0"
# px: tiles hold at most DEFAULT_TILE**2 pixels. About 0.2 MP per tile was fastest on a 2-core
# CPU with a 32 MB L3 (per step: 1024x768 as 4 tiles 215 ms, as 2 tiles 260 ms; 731x548 as 2
# tiles 109 ms, as 4 tiles 126 ms; 522x391 as 1 tile 54 ms, as 2 tiles 66 ms), and it keeps a
# 4000x3000 photo well under 2 GiB with the default model. Two lanes (engine/lanes.py) share it:
# two tiles of half that area at once.
DEFAULT_TILE = 460
# "auto": torch where it is installed (every objective), else ONNX Runtime on an imported graph.
BACKENDS = ("auto", "torch", "onnx")


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
    backend: str = "auto"  # what computes the gradient: "torch", "onnx" (ONNX Runtime) or "auto"
    providers: list[str] = field(default_factory=list)  # ONNX Runtime execution providers; empty: the best found

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def problems(self) -> list[str]:
        """One line per setting that is out of :data:`LIMITS`, of the wrong type or not finite."""
        found = settings_problems(self, LIMITS, TEXT_FIELDS)
        if not isinstance(self.layers, list) or not all(isinstance(n, str) for n in self.layers):
            found.append(f"layers must be a list of layer names, not {self.layers!r}")
        if self.objective is not None and not isinstance(self.objective, str):
            found.append(f"objective must be an expression, not {self.objective!r}")
        if self.backend not in BACKENDS:
            found.append(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if not isinstance(self.providers, list) or not all(isinstance(n, str) and n for n in self.providers):
            found.append(f"providers must be a list of ONNX Runtime provider names, not {self.providers!r}")
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DreamSettings":
        """Build from a (possibly older or partial) dict, ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# The allowed range of every numeric setting, inclusive, for the engine, the command line, the
# worker and the dialog alike. Wide enough for any real use; tight enough that nothing overflows.
LIMITS: dict[str, tuple[float, float]] = {
    "pattern_size": (0.25, 4.0),
    "octaves": (1, 20),  # None (from the pattern size) is allowed too
    "octave_scale": (1.0, 4.0),
    "steps": (0, 10_000),
    "step_size": (1e-4, 1.0),
    "jitter": (0, 1024),
    "seed": (0, 2**63 - 1),
    "tile": (64, 16_384),  # None (automatic) is allowed too
}
TEXT_FIELDS = ("model", "device")  # must be non-empty strings


def _label(name: str) -> str:
    return name.replace("_", " ")


def number_problem(name: str, value: Any, low: float, high: float, label: Optional[str] = None) -> Optional[str]:
    """A one-line complaint about ``value`` for field ``name``, or None if it is in [low, high].

    Integer limits demand an integer; float limits take any finite number.
    """
    label = label or _label(name)
    whole = isinstance(low, int) and isinstance(high, int)
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return f"{label} must be {'a whole number' if whole else 'a number'}, not {value!r}"
    if not math.isfinite(value):
        return f"{label} must be a finite number, not {value}"
    if value < low:
        return f"{label} must be at least {low}, not {value}"
    if value > high:
        return f"{label} must be at most {high}, not {value}"
    return None


def settings_problems(settings: Any, limits: dict[str, tuple[float, float]], text_fields: tuple[str, ...] = (),
                      labels: Optional[dict[str, str]] = None) -> list[str]:
    """Every problem of a settings dataclass against a limits table (None passes for optional fields);
    ``labels`` names fields whose name alone would not say enough."""
    found = []
    for name, (low, high) in limits.items():
        value = getattr(settings, name, None)
        if value is None and name in {f.name for f in fields(settings) if f.default is None}:
            continue
        problem = number_problem(name, value, low, high, (labels or {}).get(name))
        if problem:
            found.append(problem)
    for name in text_fields:
        value = getattr(settings, name)
        if not isinstance(value, str) or not value.strip():
            found.append(f"{_label(name)} must be a name, not {value!r}")
    return found
