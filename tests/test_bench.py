"""The benchmark's machinery on tiny cases: it runs, counts right, and the baseline dreams alike.

No timing is asserted: speed is the benchmark's business, not the tests'.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is a top-level folder of the checkout, not an installed package

from bench import latency  # noqa: E402
from bench.cases import FULL, QUICK  # noqa: E402
from bench.flops import forward_flops, schedule_flops, step_flops  # noqa: E402
from dreamlayer.engine.octaves import schedule  # noqa: E402
from dreamlayer.settings import DreamSettings  # noqa: E402

pytestmark = pytest.mark.bench


def test_forward_flops_counts_multiply_adds_of_every_layer_that_runs():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1, groups=8),
                        nn.Flatten(), nn.Linear(8 * 10 * 12, 4))
    flops = forward_flops(net, lambda: net(torch.zeros(1, 3, 10, 12)))
    conv = 2 * (8 * 10 * 12) * 3 * 3 * 3
    depthwise = 2 * (8 * 10 * 12) * 1 * 3 * 3
    linear = 2 * 4 * (8 * 10 * 12)
    assert flops == conv + depthwise + linear
    assert step_flops(flops) == 2 * flops


def test_truncated_work_grows_with_depth_and_tiles_add_little():
    sizes = schedule(300, 400, DreamSettings(octaves=2))
    low = schedule_flops("efficientnet-lite0", {"blocks.1"}, sizes, 3, None)
    mid = schedule_flops("efficientnet-lite0", {"blocks.9"}, sizes, 3, None)
    full = schedule_flops("efficientnet-lite0", {"logits"}, sizes, 3, None)
    assert 0 < low < mid < full
    tiled = schedule_flops("efficientnet-lite0", {"blocks.9"}, sizes, 3, 128)
    assert mid <= tiled < 1.1 * mid


@pytest.mark.numeric  # the gain ratio
def test_quick_benchmark_writes_figures_and_ratios(tmp_path):
    out = tmp_path / "bench.json"
    on_cpu = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # where the baseline runs, so the two gains are comparable
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=on_cpu)
    assert done.returncode == 0, done.stderr
    assert "vs baseline" in done.stdout and "| tiny | baseline |" in done.stdout
    report = json.loads(out.read_text())
    assert report["peak_flops"] > 0
    cases = {case["name"]: case for case in report["cases"]}
    tiny = cases["tiny"]["summary"]
    for impl in ("dreamlayer", "baseline"):
        figures = tiny[impl]
        assert figures["seconds"]["n"] == 1 and figures["seconds"]["median"] > 0
        assert figures["peak_rss_bytes"] >= figures["loaded_rss_bytes"] > 0
        assert 0 < figures["fraction_of_peak"]["median"] < 2
        assert figures["objective_gain"]["median"] > 0
    backend = tiny["dreamlayer"]["backend"]  # "auto" chose it: the table says which
    assert backend in ("torch", "onnx") and f"| tiny | dreamlayer ({backend}) |" in done.stdout
    assert tiny["dreamlayer"]["omp_wait_policy"] == "PASSIVE"
    assert tiny["baseline"]["omp_wait_policy"] == "default"
    assert tiny["speedup_vs_baseline"]["median"] > 0
    # Same settings, objective and jitter: the plain loop dreams as much as the engine, to float error
    # (1e-6 measured on AVX-512 and SSE4.1) plus a ReLU6 unit on its kink going the other way now and
    # then. Any real difference is far bigger: seed 1 instead of 0 halves the gain, 1 % more step size -14 %.
    assert tiny["gain_ratio_vs_baseline"]["median"] == pytest.approx(1.0, abs=1e-2)
    assert cases["tiny-tiled"]["summary"]["dreamlayer"]["useful_gflop"] > 0
    assert "baseline" not in cases["tiny-tiled"]["summary"]


def test_unknown_case_is_one_line_error():
    done = subprocess.run([sys.executable, "-m", "bench", "--case", "nope"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    names = ", ".join(case.name for case in FULL + QUICK)
    assert done.stderr.strip() == f"python -m bench: unknown case 'nope'; choose from: {names}"


def test_latency_reaches_a_preview_through_the_real_engine():
    figures = latency.measure(previews=1, width=128, height=96)
    assert figures["start_to_ready_warm_s"] > 0
    assert len(figures["first_preview_s"]) == 1 and figures["first_preview_s"][0] > 0


def test_engine_option_imports_the_other_tree(tmp_path):
    """``--engine DIR`` measures DIR's engine, not the editable install's (it once silently did)."""
    import shutil

    for part in ("dreamlayer", "engine"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("from bench.tree import use_tree, engine_folder; use_tree(__import__('pathlib').Path(r'%s'));"
            "import dreamlayer.settings, dreamlayer.engine.tiling as t;"
            "print(engine_folder()); print(dreamlayer.settings.__file__); print(t.__file__)" % tmp_path)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder, settings, tiling = done.stdout.split()
    assert Path(folder) == (tmp_path / "engine").resolve()
    assert Path(settings).resolve() == (tmp_path / "dreamlayer" / "settings.py").resolve()
    assert Path(tiling).resolve() == (tmp_path / "engine" / "tiling.py").resolve()


@pytest.mark.numeric  # the engine's objective against ONNX Runtime's
def test_floor_runs_the_same_network_in_onnx_runtime(tmp_path):
    """The floor's ONNX Runtime forwards are the engine's network: the same objective, to float error."""
    out = tmp_path / "floor.json"
    done = subprocess.run([sys.executable, "-m", "bench.floor", "--width", "96", "--height", "64", "--repeats", "2",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["objective_engine"] > 0
    assert report["objective_onnx"] == pytest.approx(report["objective_engine"], rel=1e-4)
    assert report["objective_onnx_graph"] == pytest.approx(report["objective_engine"], rel=1e-4)
    assert report["step_floor_ms"] == 2 * min(report["engine_forward_ms"], report["onnx_forward_ms"],
                                              report["onnx_graph_forward_ms"])
    assert report["onnx_graph_step_ms"] > report["onnx_graph_forward_ms"] > 0
    assert "the step is" in done.stdout
    for side in ("engine", "onnx_graph"):  # where each step's time goes: every kind the network has
        shares = report[f"{side}_step_shares"]
        assert sum(shares.values()) == pytest.approx(1)
        assert shares["convolutions"] > shares["relu6 masks"] > 0 and shares["other"] > 0
        assert report[f"{side}_convolutions_over_floor"] == pytest.approx(
            report[f"{side}_step_ms"] * shares["convolutions"] / report["step_floor_ms"])
    assert report["engine_step_shares"]["zero insertion"] == 0  # torch's strided backward has it inside
    assert report["onnx_graph_step_shares"]["zero insertion"] > 0
    if os.cpu_count() and os.cpu_count() > 1:  # the lanes' figures: half the area, per tile
        assert report["lanes_tile"] == [68, 45] and report["lanes_step_ms_per_tile"] > 0
        assert report["lanes_step_over_floor"] == pytest.approx(
            report["lanes_step_ms_per_tile"] / (2 * report["lanes_forward_ms_per_tile"]))


def test_remote_trip_measures_the_same_picture_through_each_engine(capsys):
    from bench import remote

    assert remote.main(["--size", "160x120"]) == 0  # blobs from 64 KiB on are deflated
    figures = json.loads(capsys.readouterr().out)
    raw = 160 * 120 * 4
    for route in ("pipe", "serve", "serve_deflated"):
        assert figures[route]["raw_bytes"] == raw and figures[route]["dream_s"] > 0
    assert figures["serve"]["sent_bytes"] == figures["pipe"]["sent_bytes"] > raw  # raw blobs, plus a header
    assert figures["serve_deflated"]["sent_bytes"] < raw  # a photo's constant alpha deflates


@pytest.mark.parametrize("ablation", sorted(__import__("bench.ablations").ablations.ABLATIONS))
def test_every_ablation_still_reaches_the_engine_it_undoes(ablation: str):
    """Each ablation patches engine internals: one that no longer fits them fails here, not in a long run."""
    case = next(c for c in QUICK if c.name == "tiny-tiled")
    job = json.dumps({"kind": "dreamlayer", "ablation": ablation, "case": case.to_dict()})
    done = subprocess.run([sys.executable, "-m", "bench.measure", job], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["objective_after"] > figures["objective_before"]
