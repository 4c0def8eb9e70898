"""How long a dream has left, for the progress bar."""
from __future__ import annotations

from typing import Optional


class TimeLeft:
    """Estimates seconds left from the step rate, weighting each step by its octave's pixels.

    Later octaves are larger (``octave_scale`` squared per octave), so a plain steps-per-second
    rate would promise far too early an end. Time before the first step (loading the model)
    is left out.
    """

    def __init__(self, octave_scale: float) -> None:
        self.octave_scale = max(float(octave_scale), 1.0)
        self._start: Optional[tuple[float, float]] = None

    def _work(self, step: int, total: int, octaves: int) -> tuple[float, float]:
        octaves = max(octaves, 1)
        per_octave = total / octaves
        weights = [self.octave_scale ** (-2 * (octaves - 1 - o)) for o in range(octaves)]
        done, left = 0.0, float(step)
        for weight in weights:
            taken = min(left, per_octave)
            done += taken * weight
            left -= taken
        return done, per_octave * sum(weights)

    def update(self, step: int, total: int, octaves: int, now: float) -> Optional[float]:
        done, whole = self._work(step, total, octaves)
        if self._start is None:
            self._start = (now, done)
            return None
        started, done_then = self._start
        if done <= done_then:
            return None
        return max(0.0, (now - started) * (whole - done) / (done - done_then))
