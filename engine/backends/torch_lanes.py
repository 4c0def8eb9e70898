"""Each lane's share of the cores for torch's operators, as ONNX Runtime's lane sessions have theirs.

With two lanes (``engine/lanes.py``) each operator of each lane still ran on a team of all the
cores: four threads took turns on two, and every operator's barrier woke a sleeping one. A lane
that keeps to its share runs its operators without a barrier on 2 cores.

torch sizes a thread's OpenMP and MKL teams only through ``torch.set_num_threads``, which also
sets the size every thread not yet started will take. That part goes back at once, from a helper
thread, so only the lane keeps its share: later threads, the caller's included, are as they were.
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

import torch

from ..lanes import LANES, lane, usable_cores

T = TypeVar("T")

_this_thread = threading.local()
_lock = threading.Lock()  # two lanes starting together must not read each other's passing setting


def _in_new_thread(work: Callable[[], T]) -> T:
    done: list[T] = []
    helper = threading.Thread(target=lambda: done.append(work()), name="dreamlayer-threads")
    helper.start()
    helper.join()
    return done[0]


def take_lane_share() -> None:
    """In a lane's thread, once: its operators run on ``usable_cores() // LANES`` threads (one of
    two cores). Anywhere else nothing changes."""
    if not lane() or getattr(_this_thread, "shared", False):
        return
    _this_thread.shared = True
    torch.get_num_threads()  # torch sizes a thread's teams at its first call: before ours, not over it
    with _lock:
        default = _in_new_thread(torch.get_num_threads)  # what a thread starting now takes
        torch.set_num_threads(max(1, usable_cores() // LANES))
        _in_new_thread(lambda: torch.set_num_threads(default))
