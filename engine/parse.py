"""The objective parser with the engine's error type: one line for the user, no torch needed."""
from __future__ import annotations

from dreamlayer import objective as spec
from dreamlayer.objective import Objective, ObjectiveError

from .errors import DreamError


def parse(text: str) -> Objective:
    """Parse an objective expression; a DreamError says what is wrong and where."""
    try:
        return spec.parse(text)
    except ObjectiveError as exc:
        raise DreamError(str(exc)) from None
