"""visualize and atlas on ONNX Runtime: the same numpy loop as torch's, the gradient from the graph,
and a process that never imports torch."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlayer.engine import graphs
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.visualize import AtlasSettings, VisualizeSettings, atlas, visualize
from test_onnx_backend import BLOCK_TORCH

pytest.importorskip("onnxruntime")

MODEL = "efficientnet-lite0"
FAST = VisualizeSettings(size=64, steps=24, device="cpu", backend="onnx")


@pytest.fixture
def installed(lite0_graph: Path, cache: Path) -> graphs.Graph:
    """The whole Lite0 graph imported into a private cache."""
    return graphs.import_graph(lite0_graph)


@pytest.mark.numeric
def test_a_class_picture_from_grey_climbs_on_onnx_runtime(installed: graphs.Graph):
    settings = replace(FAST, class_name="goldfish", start="grey", size=96, steps=32)
    before, after = visualize(replace(settings, steps=0)), visualize(settings)
    assert (after.backend, after.device) == ("onnx", "onnx:CPUExecutionProvider")
    assert before.targets[0].rank > 20 and after.targets[0].rank <= 5
    assert after.objective_after > before.objective_after + 1.0
    assert after.targets[0].label == "goldfish" and len(after.top5) == 5 and after.image.shape == (96, 96, 3)


@pytest.mark.numeric
def test_both_backends_paint_the_same_picture_at_first(installed: graphs.Graph):
    """One loop, two backends: after two steps from the same noise the pictures agree to float error
    (later, as with dreams, the ascent carries rounding differences into visible ones)."""
    settings = replace(FAST, objective="blocks.4:7", steps=2, size=48)
    onnx = visualize(settings)
    torch = visualize(replace(settings, backend="torch"))
    assert np.abs(onnx.image - torch.image).max() < 1e-3
    assert onnx.objective_after == pytest.approx(torch.objective_after, rel=1e-4)
    assert [s.index for s in onnx.top5] == [s.index for s in torch.top5]


def test_what_the_graph_cannot_paint_is_a_one_line_error(installed: graphs.Graph):
    for objective, says in [("blocks.9:3@0.5,0.5", "neuron terms"), ('blocks.9 + guide:"x.png"', "guide terms")]:
        with pytest.raises(DreamError, match=says) as caught:
            visualize(replace(FAST, objective=objective, steps=1))
        assert "\n" not in str(caught.value) and "--backend torch" in str(caught.value)


def test_an_atlas_on_onnx_runtime(installed: graphs.Graph):
    settings = AtlasSettings(size=32, steps=3)
    paths = atlas.channel_pictures(MODEL, "blocks.2", [0, 1], settings, "cpu", backend="onnx")
    pictures = [np.asarray(Image.open(p), dtype=int) for p in paths]
    assert all(p.shape == (32, 32, 3) for p in pictures)
    assert np.abs(pictures[0] - pictures[1]).mean() > 1  # two channels, two pictures
    with pytest.raises(DreamError, match="channel 99 out of range"):
        atlas.channel_pictures(MODEL, "blocks.2", [99], settings, "cpu", backend="onnx")


def _without_torch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH, *args], capture_output=True, text=True, timeout=300)


def _loaded_torch(done: subprocess.CompletedProcess) -> list[str]:
    """The torch modules the process ended with (BLOCK_TORCH lists torch's and onnx's: the onnx
    package may cut a graph for a new objective once)."""
    line = next(line for line in done.stdout.splitlines() if line.startswith("SLOW-MODULES"))
    return [m for m in ast.literal_eval(line.split(" ", 1)[1]) if m.split(".")[0] in ("torch", "torchvision")]


def test_visualize_and_atlas_never_import_torch(installed: graphs.Graph, tmp_path: Path):
    out, report = tmp_path / "goldfish.png", tmp_path / "goldfish.json"
    done = _without_torch("visualize", "--class", "goldfish", "--from", "grey", "--size", "48", "--steps", "3",
                          "-o", str(out), "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert _loaded_torch(done) == [] and "goldfish p=" in done.stdout
    data = json.loads(report.read_text())
    assert data["backend"] == "onnx" and data["targets"][0]["label"] == "goldfish"  # auto: no torch here
    assert Image.open(out).size == (48, 48)
    sheet = tmp_path / "atlas.png"
    done = _without_torch("atlas", MODEL, "blocks.1", "--channels", "0-1", "--size", "32", "--steps", "2",
                          "-o", str(sheet))
    assert done.returncode == 0, done.stderr
    assert _loaded_torch(done) == [] and sheet.is_file()
    refused = _without_torch("visualize", "--objective", "blocks.9:3@0.5,0.5", "-o", str(tmp_path / "n.png"))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "neuron terms" in refused.stderr
