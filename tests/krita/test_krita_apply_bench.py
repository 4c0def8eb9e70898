"""bench.krita_apply's machinery in the real Krita on a small picture: it applies, undoes and reports.

No timing is asserted (speed is the benchmark's business); skips, saying why, where Krita or Xvfb is missing.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is a top-level folder of the checkout

from bench import krita_apply  # noqa: E402

pytestmark = [pytest.mark.editor, pytest.mark.bench]


def test_krita_apply_bench_applies_both_ways_and_undoes_each(tmp_path):
    missing = krita_apply._harness()[0].missing_tools()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    figures = krita_apply.measure(repeats=1, width=400, height=300, work=tmp_path, timeout=300)
    assert not figures["run"]["failed"] and not figures["run"]["timed_out"], figures["run"]["log_tail"]
    assert figures["document"] == [400, 300, "RGBA", "U8"]
    plain, soft = figures["apply_no_selection"], figures["apply_feathered_selection"]
    assert plain["problems"] == [] and soft["problems"] == []
    assert plain["layers_after"][-1] == ["Dream bench", "paintlayer", []]
    assert soft["layers_after"][-1] == ["Dream bench", "paintlayer", [["Dream mask", "transparencymask"]]]
    assert figures["mask_soft_pixels"] > 0
    assert len(plain["wall_runs_s"]) == len(soft["wall_runs_s"]) == 1
    assert (tmp_path / "applied-feathered_selection-composite.png").stat().st_size > 0
    assert "krita_apply 0.1 MP" in krita_apply.summary(figures)
