"""The jitter's shifts are torch's, so a seed gives the picture it gave before the loop left torch."""
from __future__ import annotations

import itertools

import pytest
import torch

from dreamlayer.engine.jitter import shifts


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 + 5, 2**40 + 7, 2**63 - 1])
@pytest.mark.parametrize("jitter", [1, 7, 32, 1024])
def test_shifts_are_torch_randint_draws(seed, jitter):
    generator = torch.Generator().manual_seed(seed)
    expected = [tuple(torch.randint(-jitter, jitter + 1, (2,), generator=generator).tolist()) for _ in range(40)]
    assert list(itertools.islice(shifts(seed, jitter), 40)) == expected


def test_no_jitter_never_shifts():
    assert set(itertools.islice(shifts(3, 0), 10)) == {(0, 0)}


def test_shifts_cover_the_whole_range():
    drawn = list(itertools.islice(shifts(0, 2), 400))
    assert {dy for dy, _ in drawn} == {-2, -1, 0, 1, 2} == {dx for _, dx in drawn}
