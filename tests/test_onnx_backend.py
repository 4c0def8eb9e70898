"""The onnx backend: the same dreams as torch's from an imported graph, the graph store, and a
process that never imports torch."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine import catalogue, graphs
from dreamlayer.engine.backends import open_backend
from dreamlayer.engine.deepdream import dream
from dreamlayer.engine.errors import DreamError
from dreamlayer.settings import DreamSettings
from httpserver import FileServer

pytest.importorskip("onnxruntime")

MODEL = "efficientnet-lite0"


@pytest.fixture
def installed(lite0_graph: Path, cache: Path) -> graphs.Graph:
    """The whole Lite0 graph imported into a private cache."""
    return graphs.import_graph(lite0_graph)


def _planar(width: int, height: int) -> np.ndarray:
    return np.ascontiguousarray(small_photo(width, height).transpose(2, 0, 1)[None], dtype=np.float32) / 255


@pytest.mark.numeric
@pytest.mark.parametrize("objective", [None, "blocks.5:3 + 0.5*blocks.9 - 0.25*stem + 2", "class:tabby - 0.5*class:1"])
def test_both_backends_score_a_tile_alike(installed: graphs.Graph, objective: str | None):
    tile = _planar(97, 65)
    torch_backend = open_backend(DreamSettings(backend="torch", objective=objective))
    onnx_backend = open_backend(DreamSettings(backend="onnx", objective=objective))
    expected, expected_value = torch_backend.gradient(tile)
    got, value = onnx_backend.gradient(tile)
    assert onnx_backend.objective == torch_backend.objective  # class names resolved alike
    assert value == pytest.approx(expected_value, rel=1e-5, abs=1e-5)
    assert onnx_backend.value(tile) == pytest.approx(value, rel=1e-6)
    error = np.linalg.norm(got - expected) / np.linalg.norm(expected)
    off = np.mean(np.abs(got - expected) > 1e-4 * np.abs(expected).max())
    assert error < 1e-4 or (off <= 0.05 and error < 2e-2), f"{error:.2e} relative L2, {off:.1%} of pixels off"


@pytest.mark.numeric
def test_a_dream_on_onnx_runtime_looks_like_the_torch_dream(installed: graphs.Graph):
    """Not the same bytes: where a ReLU6 input sits within rounding of its kink the two libraries may
    take different sides, and the dream amplifies that locally (identical for 4 steps here, then
    apart by 0.9 levels per pixel). Measured against what another seed changes (5 levels)."""
    photo = small_photo(120, 90).astype(np.float32) / 255

    def made(backend: str, seed: int) -> np.ndarray:
        result = dream(photo, DreamSettings(steps=4, octaves=2, jitter=8, seed=seed, backend=backend))
        assert result.backend == backend
        return result.image

    torch_picture, onnx_picture, other_seed = made("torch", 3), made("onnx", 3), made("torch", 4)

    def coarse(picture: np.ndarray) -> np.ndarray:
        return picture.reshape(15, 6, 20, 6, 3).mean((1, 3))

    assert np.abs(torch_picture - photo).mean() > 3 / 255  # a real dream (4.3 levels on average when written)
    for view in (np.asarray, coarse):
        apart = np.abs(view(onnx_picture) - view(torch_picture)).mean()
        reseeded = np.abs(view(other_seed) - view(torch_picture)).mean()
        assert apart < reseeded / 3, f"{apart * 255:.2f} levels apart, against {reseeded * 255:.2f} for another seed"


def test_the_onnx_backend_says_where_it_ran(installed: graphs.Graph):
    result = dream(small_photo(48, 40).astype(np.float32) / 255, DreamSettings(steps=1, octaves=1, backend="onnx"))
    assert (result.backend, result.device) == ("onnx", "onnx:CPUExecutionProvider")
    assert result.report()["backend"] == "onnx"


def test_auto_takes_the_graph_where_it_holds_the_objective_else_torch(cache: Path, installed: graphs.Graph,
                                                                       monkeypatch: pytest.MonkeyPatch):
    """With torch installed and no GPU: ONNX Runtime (no torch import) wherever the graph can dream the
    objective, torch for what it cannot, or where torch would use a GPU; without the graph, torch."""
    from dreamlayer.engine import backends

    monkeypatch.setattr(backends, "_gpu_for_torch", lambda: True)
    assert open_backend(DreamSettings()).name == "torch"
    monkeypatch.setattr(backends, "_gpu_for_torch", lambda: False)
    assert open_backend(DreamSettings()).name == "onnx"
    assert open_backend(DreamSettings(objective="blocks.5:3 + class:tabby")).name == "onnx"
    assert open_backend(DreamSettings(objective="blocks.9:3@0.5,0.5")).name == "torch"  # a neuron
    for path in Path(installed.path).parent.iterdir():
        path.unlink()
    assert open_backend(DreamSettings()).name == "torch"


def test_what_the_graph_cannot_do_is_a_one_line_error(installed: graphs.Graph):
    for objective, says in [("blocks.9:3@0.5,0.5", "neuron terms"), ('blocks.9 + guide:"x.png"', "guide terms"),
                            ("blocks.99", "no layer 'blocks.99'"), ("blocks.9:5000", "out of range"),
                            ("class:no such thing", "no such thing")]:
        with pytest.raises(DreamError, match=says) as caught:
            open_backend(DreamSettings(backend="onnx", objective=objective))
        assert "\n" not in str(caught.value)


def test_providers_are_checked_and_reported(installed: graphs.Graph, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(DreamError, match="has no NoSuchExecutionProvider; it has .*CPUExecutionProvider"):
        open_backend(DreamSettings(backend="onnx", providers=["NoSuchExecutionProvider"]))
    assert open_backend(DreamSettings(backend="onnx", device="cpu")).device == "onnx:CPUExecutionProvider"
    assert main(["models", "providers"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "CPUExecutionProvider"  # the CPU is always last


def test_without_a_graph_the_error_says_how_to_get_one(cache: Path):
    with pytest.raises(DreamError, match="dreamlayer export-onnx efficientnet-lite0"):
        open_backend(DreamSettings(backend="onnx"))


def test_the_shallowest_graph_that_holds_the_objective_is_chosen(installed: graphs.Graph, tmp_path: Path):
    shallow = tmp_path / "shallow.onnx"
    assert main(["export-onnx", MODEL, "-o", str(shallow), "--up-to", "blocks.1"]) == 0
    assert main(["models", "import", str(shallow)]) == 0
    assert open_backend(DreamSettings(backend="onnx", objective="blocks.1:3")).graph.deepest == "blocks.1"
    assert open_backend(DreamSettings(backend="onnx")).graph.deepest == "logits"  # blocks.9 is deeper
    assert [g.deepest for g in graphs.installed(MODEL)] == ["blocks.1", "logits"]


def test_models_list_and_layers_show_the_graph(installed: graphs.Graph, capsys: pytest.CaptureFixture[str]):
    assert main(["models", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(MODEL + " "))
    assert "torch+onnx" in line
    graphs.import_graph(Path(installed.path), "my-lite")  # a model only a graph knows
    assert main(["models", "list"]) == 0
    assert any(line.startswith("my-lite ") and " onnx " in line for line in capsys.readouterr().out.splitlines())
    assert catalogue.layer_infos("my-lite") == catalogue.layer_infos(MODEL)  # the registry's, from the metadata
    assert catalogue.default_layer("my-lite") == "blocks.9"
    assert catalogue.labels("my-lite")[281] == "tabby"


def test_a_graph_is_pulled_from_a_url_checked_and_installed(lite0_graph: Path, cache: Path):
    body = lite0_graph.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    with FileServer(body, path="/graphs/lite0.onnx") as server:
        wrong = "0" * 64
        assert main(["models", "import", server.url, "--sha256", wrong]) == 2
        assert graphs.installed(MODEL) == []
        assert main(["models", "import", server.url, "--sha256", digest, "--size", str(len(body))]) == 0
    (graph,) = graphs.installed(MODEL)
    assert graph.sha256 == digest and graph.deepest == "logits"
    assert not list((cache / "models" / "downloads").iterdir())  # nothing left behind


def test_a_url_needs_a_sha256_and_a_file_must_be_a_graph(tmp_path: Path, cache: Path,
                                                        capsys: pytest.CaptureFixture[str]):
    assert main(["models", "import", "http://127.0.0.1:9/x.onnx"]) == 2
    assert "--sha256" in capsys.readouterr().err
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    assert main(["models", "import", str(junk)]) == 2
    assert "not an ONNX model" in capsys.readouterr().err
    assert graphs.installed() == []


BLOCK_TORCH = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            raise ImportError("torch is blocked in this test")
sys.meta_path.insert(0, NoTorch())
from dreamlayer.cli import main
code = main(sys.argv[1:])
# the onnx package (not onnxruntime) only makes graphs: loading it costs 0.85 s a dream
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "onnx"))
print("SLOW-MODULES", loaded)
sys.exit(code)
"""


def test_a_dream_on_the_onnx_backend_imports_neither_torch_nor_onnx(installed: graphs.Graph, photo_png: Path,
                                                                   tmp_path: Path):
    out = tmp_path / "dream.png"
    report = tmp_path / "report.json"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", BLOCK_TORCH, *args], capture_output=True, text=True,
                              timeout=300)

    done = run("dream", str(photo_png), "-o", str(out), "--steps", "2", "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert "SLOW-MODULES []" in done.stdout
    assert json.loads(report.read_text())["backend"] == "onnx"  # auto: no torch here
    assert np.asarray(Image.open(out)).shape == (72, 96, 3)
    listed = run("layers", MODEL)
    assert listed.returncode == 0 and "blocks.9" in listed.stdout and "SLOW-MODULES []" in listed.stdout
    refused = run("dream", str(photo_png), "-o", str(out), "--force", "--backend", "torch")
    assert refused.returncode == 2 and "needs torch" in refused.stderr
    frames = tmp_path / "zoom"
    zoomed = run("zoom", str(photo_png), "-o", str(frames), "--frames", "2", "--size", "64x48",
                 "--steps-per-frame", "1", "--jitter", "4", "--backend", "onnx")
    assert zoomed.returncode == 0, zoomed.stderr
    assert "SLOW-MODULES []" in zoomed.stdout and len(list(frames.glob("*.png"))) == 2


def test_the_engine_process_dreams_on_onnx_runtime(installed: graphs.Graph):
    """The dialog's engine, told to use ONNX Runtime, lists what it can dream with and dreams."""
    from dreamlayer import protocol
    from dreamlayer.pixels import Image as Pixels
    from test_worker import WorkerProcess

    engine = WorkerProcess("-m", "dreamlayer.engine.worker", "--backend", "onnx")
    try:
        assert engine.receive().type == "hello"
        engine.send("list_models", id=1)
        listed = {m["name"]: m for m in engine.receive()["models"]}
        assert listed[MODEL]["backends"] == ["torch", "onnx"]
        rgba = np.concatenate([small_photo(64, 48), np.full((48, 64, 1), 255, np.uint8)], axis=2)
        engine.dream(2, Pixels(64, 48, rgba.tobytes(), 8), DreamSettings(steps=2, octaves=1))
        _, result = engine.until("result", "error")
        assert result.type == "result", result.fields
        assert result["device"] == "onnx:CPUExecutionProvider"
        assert protocol.image_from(result).data != rgba.tobytes()
    finally:
        engine.close()
