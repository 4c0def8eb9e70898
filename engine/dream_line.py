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
    _told: Optional[int] = None
    _started = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tell(self, ahead: int) -> None:
        """Say how many dreams are ahead, only while it still waits and only when fewer than said
        before: the line's thread and the editor's may compute it at nearly the same time."""
        with self._lock:
            if self._started or self.cancel.is_set() or not ahead or (self._told is not None and ahead >= self._told):
                return
            self._told = ahead
            self.waiting(ahead)

    def start(self) -> None:
        """From now on the editor hears ``started``, never ``queued``."""
        with self._lock:
            self._started = True


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
        job.tell(ahead)

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
            job.start()
            for index, other in enumerate(waiting):
                other.tell(_live([job, *waiting[:index]]))
            try:
                job.run(job)
            finally:
                with self._ready:
                    self._running = None


def _live(jobs: list[DreamJob]) -> int:
    """How many of ``jobs`` still count as ahead: a cancelled one ends within a step."""
    return sum(1 for job in jobs if not job.cancel.is_set())
