"""Process-wide settings that make dreaming fast, applied by the command line and the engine
process with :func:`configure` before torch loads; a Python API user's process is left as it is.

Each was measured with ``python -m bench --ablations`` (bench/results/ablations-*.json). An explicit
setting by the user (environment variable) always wins.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Optional

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt() parameters


def _glibc() -> Optional[ctypes.CDLL]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): its allocator, its rules
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()
_HEAP_BLOCKS = 32 << 20  # activations of a default 512 px tile are at most 25 MB

def configure() -> None:
    """Tune this process for dreaming; call it before anything imports torch."""
    if "torch" not in sys.modules:
        # Idle OpenMP threads sleep instead of spinning. With spinning, any other busy process (the
        # editor, a second dream) turns every barrier of every operator into a wait for a
        # descheduled spinner: steps ran 4x slower on a loaded 2-core machine. OpenMP reads this
        # once, when torch loads it, hence "before torch".
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if _LIBC is not None:
        # glibc hands every freed block above a few MB straight back to the kernel, so each step
        # page-faulted all its activations in again; the kernel zeroing pages cost as much CPU as
        # the network itself at 1024 px. Blocks up to tile-activation size now stay for the next
        # step; bigger ones (a 12 MP picture is 144 MB) still go back at once, since in the heap
        # they fragment it and raise the peak. release_memory() returns the rest when a dream ends.
        _LIBC.mallopt(_M_MMAP_THRESHOLD, _HEAP_BLOCKS)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)


def release_memory() -> None:
    """Return the memory a dream kept for reuse to the system, so an idle engine stays small."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
