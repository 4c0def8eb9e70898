"""Ending a process whose work is done without the interpreter's teardown.

A process that imported torch spends 0.35-0.4 s after its last exit handler freeing the
objects of its thousand modules one by one (measured on this project's 2-core machines): a
twentieth of the README dream on the command line, and as long again for Krita to quit, which
waits for its engine process to end.
"""
from __future__ import annotations

import atexit
import os
import sys
from typing import Callable


def run_then_exit(main: Callable[[], int]) -> int:
    """``main()``'s exit code, for ``sys.exit``; once ``main`` has returned, the last exit handler
    flushes the output and ends the process. Every other exit handler still runs before it: it is
    registered before ``main`` registers any, and handlers run last-registered first. An exception
    from ``main`` leaves the normal way, with its traceback."""
    done: list[int] = []
    atexit.register(_leave, done)
    code = main()
    done.append(code)
    return code


def _leave(done: list[int]) -> None:
    if not done:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    if os.name == "posix":
        import ctypes

        ctypes.CDLL(None).fflush(None)  # what C libraries printed through stdio
    os._exit(done[0])
