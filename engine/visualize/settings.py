"""Settings of visualizations and atlases, with their defaults (standard library only, so the
command line and the dialog can read them without loading torch)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from dreamlayer.settings import BACKENDS, DEFAULT_MODEL, settings_problems

TRANSFORM_NAMES = ("pad", "jitter", "scale", "rotate")
PARAMETRIZATIONS = ("fourier", "pixel")
STARTS = ("grey", "noise")  # or the path of a picture
LEARNING_RATE = 0.05  # Adam's, on the parametrization; the same for visualizations and atlases

# Allowed ranges, inclusive, as dreamlayer.settings.LIMITS does for dreams.
LIMITS: dict[str, tuple[float, float]] = {
    "size": (8, 4096),
    "steps": (0, 100_000),
    "lr": (1e-6, 10.0),
    "seed": (0, 2**63 - 1),
    "views": (1, 64),
    "tv": (0.0, 1e6),
    "blur": (0.0, 1e6),
    "l2": (0.0, 1e6),
}
LABELS = {"lr": "learning rate (--lr)", "tv": "tv weight", "blur": "blur weight", "l2": "l2 weight"}


@dataclass
class VisualizeSettings:
    """Everything that decides a visualization; the defaults are what `dreamlayer visualize` uses."""

    model: str = DEFAULT_MODEL
    objective: Optional[str] = None  # an objective expression, as for dream
    class_name: Optional[str] = None  # shortcut for class:NAME, by name (forgiving) or index
    start: str = "noise"  # "grey", "noise" or the path of a picture
    size: Optional[int] = None  # px; None: the model's input size. A start picture keeps its aspect.
    steps: int = 256
    lr: float = LEARNING_RATE
    seed: int = 0
    param: str = "fourier"  # "fourier" or "pixel"
    decorrelate: bool = True  # optimise in decorrelated colour
    transforms: tuple[str, ...] = TRANSFORM_NAMES  # which of pad, jitter, scale, rotate
    views: int = 1  # transformed copies seen per step; more transfer better to other networks, cost more
    tv: float = 0.0  # total-variation weight
    blur: float = 0.0  # blur-penalty weight
    l2: float = 0.0  # weight of the pull towards grey
    method: str = "optimize"
    device: str = "auto"
    backend: str = "auto"  # what computes the network's gradient: "torch", "onnx" (ONNX Runtime) or "auto"
    providers: list[str] = field(default_factory=list)  # ONNX Runtime execution providers; empty: the best found

    def problems(self) -> list[str]:
        """One line per number out of :data:`LIMITS`, of the wrong type or not finite, or an unknown backend."""
        found = settings_problems(self, LIMITS, ("model", "device"), LABELS)
        if self.backend not in BACKENDS:
            found.append(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        return found


@dataclass(frozen=True)
class AtlasSettings:
    """How atlas pictures are painted; part of every cached picture's key."""

    size: int = 128
    steps: int = 128
    lr: float = LEARNING_RATE
    seed: int = 0
    param: str = "fourier"
    decorrelate: bool = True
    transforms: tuple[str, ...] = TRANSFORM_NAMES

    def problems(self) -> list[str]:
        return settings_problems(self, {k: LIMITS[k] for k in ("size", "steps", "lr", "seed")}, labels=LABELS)
