"""Dreams one at a time, in the order asked, for one editor (the pipe engine) or several
(``dreamlayer serve``): one model in memory, one device, and nobody's dream slowed by another's."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Optional

from dreamlayer.protocol import Message


@dataclass
class DreamJob:
    """One dream request, run by ``run`` (its editor's worker) when its turn comes."""

    id: int
    request: Message
    run: Callable[[DreamJob], None]
    waiting: Callable[[int], None]  # told how many dreams are ahead whenever that falls
    cancel: threading.Event = field(default_factory=threading.Event)


class DreamLine:
    """A queue with one thread that dreams; waiting jobs hear their place in it."""

    def __init__(self) -> None:
        self._jobs: deque[DreamJob] = deque()
        self._running: Optional[DreamJob] = None
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="dream", daemon=True)
        self._thread.start()

    def put(self, job: DreamJob) -> None:
        with self._ready:
            ahead = _live([*([self._running] if self._running else []), *self._jobs])
            self._jobs.append(job)
            self._ready.notify()
        if ahead:
            job.waiting(ahead)

    def close(self) -> None:
        """Stop once the running dream ends (jobs still waiting are dropped); for the pipe engine."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                job = self._running = self._jobs.popleft()
                waiting = list(self._jobs)
            for index, other in enumerate(waiting):
                if not other.cancel.is_set():
                    other.waiting(_live([job, *waiting[:index]]))
            try:
                job.run(job)
            finally:
                with self._ready:
                    self._running = None


def _live(jobs: list[DreamJob]) -> int:
    """How many of ``jobs`` still count as ahead: a cancelled one ends within a step."""
    return sum(1 for job in jobs if not job.cancel.is_set())
