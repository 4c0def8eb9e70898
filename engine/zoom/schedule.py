"""Which objective each frame dreams of: switches at frames, or a fade from one to the next.

``--objective-at 60=class:goldfish`` switches at frame 60; ``--objective-at 60..120=blocks.12``
fades from the objective before it to ``blocks.12`` over frames 60 to 120 (eased), by weighting
the two objectives ``(1 - t)`` and ``t`` in one expression the engine parses as usual.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import DreamError
from ..parse import parse
from .path import EASINGS


@dataclass(frozen=True)
class Change:
    start: int  # first frame of the change
    end: int  # frame at which the new objective is reached fully (== start: a switch)
    objective: str


def parse_change(text: str) -> Change:
    """``"FRAME=EXPR"`` or ``"FIRST..LAST=EXPR"``."""
    frames, sep, expression = text.partition("=")
    first, dots, last = frames.partition("..")
    try:
        start = int(first)
        end = int(last) if dots else start
    except ValueError:
        start = end = -1
    if not sep or not expression.strip() or start < 0 or end < start:
        raise DreamError(f"bad objective change {text!r}: use FRAME=EXPR or FIRST..LAST=EXPR, "
                         "as in 60=class:goldfish or 60..120=blocks.12")
    return Change(start, end, expression.strip())


class Schedule:
    """The objective expression of every frame, from a first objective and changes."""

    def __init__(self, first: str, changes: Sequence[Change] = (), ease: str = "in-out") -> None:
        self.first, self.ease = first, ease
        self.changes = sorted(changes, key=lambda c: c.start)
        for a, b in zip(self.changes, self.changes[1:]):
            if b.start < a.end or b.start == a.start:
                raise DreamError(f"objective changes at {a.start}..{a.end} and {b.start}..{b.end} overlap")

    def at(self, frame: int) -> str:
        current = self.first
        for change in self.changes:
            if frame >= change.end:
                current = change.objective
            elif frame >= change.start:
                t = EASINGS[self.ease]((frame - change.start) / (change.end - change.start))
                return mix(current, change.objective, t)
            else:
                break
        return current


def mix(a: str, b: str, t: float) -> str:
    """One expression worth ``(1 - t) * a + t * b``."""
    if t <= 0:
        return a
    if t >= 1:
        return b
    return ((1 - t) * parse(a) + t * parse(b)).text()


def check(expression: str) -> None:
    """Fail before the render on an expression the engine could not parse (a one-line DreamError)."""
    parse(expression)
