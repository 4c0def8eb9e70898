"""Two tiles in flight at once on the CPU, each in its own thread (a "lane").

A tile's step is hundreds of operators, and after each one the library's threads meet at a
barrier, where idle threads sleep (``runtime.configure``): one stream of tiles kept 1.66 of 2
cores busy. A second tile in flight runs in those gaps. The lanes share one tile's pixel budget
(``tiling``), so memory stays as it was. The README dream as a whole process on 2 cores, before
and after, interleaved: torch 8.45 -> 7.64 s, ONNX Runtime 6.63 -> 5.78 s; a 12 MP dream on
ONNX Runtime 24.2 -> 19.5 s. Each lane runs its operators on its share of the cores (its own
ONNX Runtime session; ``backends/torch_lanes.py`` for torch), so no operator waits at a barrier
for a thread of the other lane. On a GPU tiles still go one at a time.
"""
from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Optional, TypeVar

LANES = 2  # two already keep 2 cores busy; each lane more means smaller tiles

Item = TypeVar("Item")
Result = TypeVar("Result")

_this_thread = threading.local()
_numbers = itertools.count(1)


def _number_lane() -> None:
    _this_thread.lane = next(_numbers)  # count() hands out each number once, in any thread


def lane() -> int:
    """This thread's lane number, 0 outside the lanes: a backend that keeps state per lane
    (ONNX Runtime's sessions) picks it by this number."""
    return getattr(_this_thread, "lane", 0)


def usable_cores() -> int:
    """The CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


class Lanes:
    """A pool of ``count`` threads computing items side by side, results in order."""

    def __init__(self, count: int = LANES) -> None:
        self.count = count
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="dreamlayer-lane", initializer=_number_lane)

    def map(self, work: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        """``work(item)`` for every item, in order, at most ``count`` computing at once and one
        more waiting, so a lane that finishes starts the next item without waiting for the caller
        (5 % faster steps); items are drawn as lanes free up, never all at once."""
        pending: deque[Future[Result]] = deque()
        try:
            for item in items:
                pending.append(self._pool.submit(work, item))
                if len(pending) > self.count:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # an error or a cancel: what has not started never will; what runs finishes unseen
            for future in pending:
                future.cancel()


_shared: Optional[Lanes] = None
_shared_lock = threading.Lock()


def _forget_in_child() -> None:
    """A forked child has none of its parent's threads: it starts lanes of its own when it needs them."""
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def cpu_lanes() -> Optional[Lanes]:
    """The process's lanes, started on first use; None on a single-core machine, where they only
    cost memory."""
    global _shared
    if usable_cores() < 2:
        return None
    with _shared_lock:
        if _shared is None:
            _shared = Lanes()
        return _shared
