"""Peak memory figures for reports and benchmarks."""
from __future__ import annotations

import resource
import sys


def peak_rss_bytes() -> int:
    """Largest resident set of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
