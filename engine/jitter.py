"""The random shifts a dream takes each step, the same numbers whichever backend runs it.

The numbers are those of ``torch.randint(-j, j + 1, (2,), generator=torch.Generator().manual_seed(seed))``
drawn step after step, which is how dreams were seeded before the loop stopped needing torch: the
same seed still gives the same picture. Both are MT19937 seeded by the seed's low 32 bits; torch
takes one 32-bit word per number, modulo the range (tests/test_jitter.py checks against torch).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np


def shifts(seed: int, jitter: int) -> Iterator[tuple[int, int]]:
    """(dy, dx) for every step, each in -jitter..jitter; (0, 0) forever when jitter is 0."""
    if jitter == 0:
        while True:
            yield 0, 0
    words = np.random.RandomState(seed & 0xFFFFFFFF)
    span = 2 * jitter + 1
    while True:
        dy, dx = words.randint(0, 2**32, size=2, dtype=np.uint64)
        yield int(dy) % span - jitter, int(dx) % span - jitter
