"""The camera of a zoom: zoom, rotation, shift and centre per frame, keyframed with easing.

A keyframe sets some values at a frame; between two keyframes each value moves from the
earlier to the later one along the later keyframe's easing curve, and after the last one it
stays. The transform of a frame maps the previous frame onto this one.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from ..errors import DreamError

EASINGS: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "in": lambda t: t * t,
    "out": lambda t: 1 - (1 - t) * (1 - t),
    "in-out": lambda t: t * t * (3 - 2 * t),  # smoothstep: no jump in speed at either end
    "step": lambda t: 1.0 if t >= 1 else 0.0,
}


@dataclass(frozen=True)
class Camera:
    """One frame's move: ``zoom`` > 1 magnifies around ``center`` (fractions of width, height),
    ``rotate`` turns counter-clockwise in degrees, ``shift`` moves the picture by (dx, dy) pixels."""

    zoom: float = 1.05
    rotate: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)
    center: tuple[float, float] = (0.5, 0.5)

    def matrix(self, width: int, height: int) -> np.ndarray:
        """The 2x3 affine matrix taking previous-frame pixel coordinates to this frame's."""
        import numpy as np  # here, not at the top: the zoom parser (and so `dreamlayer --help`) reads this module

        cx, cy = self.center[0] * (width - 1), self.center[1] * (height - 1)
        angle = math.radians(self.rotate)
        a, b = self.zoom * math.cos(angle), self.zoom * math.sin(angle)
        # p' = c + z R (p - c) + shift, with y pointing down so a positive angle turns counter-clockwise
        return np.array([[a, b, cx - a * cx - b * cy + self.shift[0]],
                         [-b, a, cy + b * cx - a * cy + self.shift[1]]], dtype=np.float64)


@dataclass(frozen=True)
class Keyframe:
    frame: int
    values: dict = field(default_factory=dict)  # some of Camera's fields
    ease: str = "linear"


def parse_key(text: str) -> Keyframe:
    """``"FRAME name=value ..."``, e.g. ``"120 zoom=1.02 center=0.3,0.6 rotate=1 ease=in-out"``."""
    head, *pairs = text.split()
    try:
        frame = int(head)
    except ValueError:
        raise DreamError(f"bad keyframe {text!r}: it starts with a frame number, as in '120 zoom=1.02'") from None
    if frame < 0:
        raise DreamError(f"bad keyframe {text!r}: frame numbers start at 0")
    values: dict = {}
    ease = "linear"
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name == "ease":
            if value not in EASINGS:
                raise DreamError(f"bad keyframe {text!r}: ease is one of {', '.join(EASINGS)}")
            ease = value
        elif name in ("zoom", "rotate"):
            values[name] = _number(value, text)
        elif name in ("shift", "center"):
            values[name] = parse_pair(value, name)
        else:
            raise DreamError(f"bad keyframe {text!r}: {name!r} is not one of zoom, rotate, shift, center, ease")
    if not values:
        raise DreamError(f"bad keyframe {text!r}: set at least one of zoom, rotate, shift, center")
    return Keyframe(frame, values, ease)


def parse_pair(text: str, what: str) -> tuple[float, float]:
    """``"X,Y"`` as two floats."""
    parts = text.split(",")
    if len(parts) != 2:
        raise DreamError(f"{what} is X,Y, not {text!r}")
    return _number(parts[0], text), _number(parts[1], text)


def _number(text: str, context: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DreamError(f"bad number {text!r} in {context!r}") from None
    if not math.isfinite(value):
        raise DreamError(f"bad number {text!r} in {context!r}")
    return value


class CameraPath:
    """The camera at every frame: a start camera plus keyframes."""

    def __init__(self, start: Camera, keys: Sequence[Keyframe] = ()) -> None:
        self.keys = sorted(keys, key=lambda k: k.frame)
        frames = [k.frame for k in self.keys]
        if len(set(frames)) != len(frames):
            raise DreamError("two keyframes at the same frame")
        if self.keys and self.keys[0].frame == 0:
            start = replace(start, **self.keys[0].values)
        self.start = start
        self.anchors = [(0, start)]  # every keyframe completed with the values before it
        for key in self.keys:
            if key.frame > 0:
                self.anchors.append((key.frame, replace(self.anchors[-1][1], **key.values)))
        if any(camera.zoom <= 0 for _, camera in self.anchors):
            raise DreamError("zoom must be positive: above 1 moves in, below 1 moves out")

    def at(self, frame: float) -> Camera:
        for (f0, c0), (f1, c1), key in zip(self.anchors, self.anchors[1:], [k for k in self.keys if k.frame > 0]):
            if frame < f1:
                t = EASINGS[key.ease]((frame - f0) / (f1 - f0))
                return Camera(zoom=_mix(c0.zoom, c1.zoom, t), rotate=_mix(c0.rotate, c1.rotate, t),
                              shift=(_mix(c0.shift[0], c1.shift[0], t), _mix(c0.shift[1], c1.shift[1], t)),
                              center=(_mix(c0.center[0], c1.center[0], t), _mix(c0.center[1], c1.center[1], t)))
        return self.anchors[-1][1]


def _mix(a: float, b: float, t: float) -> float:
    return a + (b - a) * t
