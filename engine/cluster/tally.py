"""Progress of many independent jobs: done, failed, left, and the time left at the rate so far."""
from __future__ import annotations

import time
from typing import Optional


def duration(seconds: float) -> str:
    """``'42 s'``, ``'3 min 05 s'`` or ``'2 h 07 min'``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Tally:
    """Counts of ``total`` jobs; the time left assumes the rest go as fast as those finished so far,
    with all workers busy, so it includes the parallelism and the first model loads."""

    def __init__(self, total: int, clock: Optional[float] = None) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.started = time.perf_counter() if clock is None else clock

    @property
    def left(self) -> int:
        return self.total - self.done - self.failed

    def seconds_left(self, now: Optional[float] = None) -> Optional[float]:
        finished = self.done + self.failed
        if not finished:
            return None
        elapsed = (time.perf_counter() if now is None else now) - self.started
        return elapsed / finished * self.left

    def line(self, now: Optional[float] = None) -> str:
        left = self.seconds_left(now)
        eta = "" if left is None or not self.left else f", about {duration(left)} left"
        return f"{self.done} done, {self.failed} failed, {self.left} left{eta}"
