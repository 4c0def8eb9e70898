"""The benchmark's user-wait figures on tiny inputs: each runs real processes and reports sane numbers.

No timing is asserted: speed is the benchmark's business, not the tests'.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is a top-level folder of the checkout, not an installed package

from bench import big, startup, whole  # noqa: E402

pytestmark = pytest.mark.bench


def test_every_help_is_timed_and_the_engine_reaches_its_first_step(cache: Path):
    helps = startup.help_seconds(sys.executable, 1)
    assert {"(none)", "dream", "visualize", "serve", "models"} <= set(helps) and min(helps.values()) > 0
    ready, first = startup.first_step_seconds(sys.executable, "torch")
    assert 0 < ready < first


def test_whole_processes_dream_on_each_side(cache: Path, tmp_path: Path):
    picture = tmp_path / "small.png"
    Image.open(ROOT / "examples" / "cat.jpg").resize((96, 72)).save(picture)
    figures = whole.measure(rounds=1, picture=str(picture), options=["--octaves", "1", "--steps", "1"])
    assert set(figures["seconds"]) == {"baseline", "torch"} and figures["baseline_over"]["torch"] > 0
    assert all(mib > 50 for mib in figures["peak_rss_mib"].values())
    assert any(line.startswith("| torch |") for line in whole.lines(figures))


def test_a_big_picture_goes_through_the_engine_process(cache: Path):
    figures = big.measure("torch", size=(200, 150))
    assert figures["engine_peak_rss_mib"] > 50 and figures["gain"][1] > figures["gain"][0]
