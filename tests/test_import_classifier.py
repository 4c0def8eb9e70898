"""Bring your own classifier: a plain forward ONNX model becomes a dreamable one, its gradient built
in ONNX. Checked against torch's autograd on GoogLeNet's architecture (exported from torchvision
with random weights: max pooling, concatenation, channel picks), and on the real MobileNet v1 from
../shared/models against its own forward pass and finite differences. The same import runs on the
torch backend too (the forward graph evaluated by ``onnx_net``): its gradients are the gradient
graph's, its layers the graph's, and it dreams what the onnx backend cannot (neurons, guides)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine import catalogue, graphs
from dreamlayer.engine.backends import open_backend
from dreamlayer.engine.deepdream import dream
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.import_classifier import import_classifier
from dreamlayer.engine.models import registry
from dreamlayer.engine.models.network import LOGITS
from dreamlayer.engine.preprocess import parse_preprocess
from dreamlayer.settings import DreamSettings

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

MOBILENET = Path(__file__).resolve().parents[2] / "shared" / "models" / "mobilenet_v1_0.75.onnx"


def _agree(got: np.ndarray, expected: np.ndarray) -> bool:
    """As in test_onnx_export: exact to float32 rounding, or off only where a ReLU kink tipped."""
    error = np.linalg.norm(got - expected) / np.linalg.norm(expected)
    off = np.mean(np.abs(got - expected) > 1e-4 * np.abs(expected).max())
    return bool(error < 1e-4 or (off <= 0.05 and error < 2e-2))


@pytest.fixture(scope="module")
def googlenet(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    """torchvision's GoogLeNet with random weights, exported forward with dynamic height and width."""
    from torch.export import Dim

    torch.manual_seed(0)
    spec = registry.get("googlenet")
    net = spec.build()
    spec.finalize(net)
    net.eval()
    path = tmp_path_factory.mktemp("byo") / "googlenet.onnx"
    program = torch.onnx.export(net, (torch.rand(1, 3, 225, 227),), dynamo=True, verbose=False,
                                dynamic_shapes=({2: Dim.DYNAMIC, 3: Dim.DYNAMIC},), input_names=["input"],
                                output_names=["logits"])
    assert program is not None
    program.save(str(path))
    return net, path


@pytest.mark.numeric
@pytest.mark.parametrize("height, width", [(65, 97), (64, 96)])
def test_the_gradient_graph_agrees_with_torch_autograd(googlenet, cache: Path, height: int, width: int):
    net, path = googlenet
    graph = import_classifier(path, "my-googlenet", "unit")
    names = [layer.name for layer in graph.layers]
    assert names[0] == "conv1" and "inception3a.branch1" in names and names[-1] == "logits"
    backend = open_backend(DreamSettings(model="my-googlenet", objective="inception3a.branch1 + 0.5*conv2:7 "
                                                                          "+ 0.1*class:5", backend="onnx"))
    image = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(height))

    acts: dict[str, torch.Tensor] = {}
    for name in ("inception3a.branch1", "conv2"):
        net.get_submodule(name).register_forward_hook(lambda _m, _i, out, name=name: acts.__setitem__(name, out))
    x = image.clone().requires_grad_(True)
    logits = net(x)
    value = acts["inception3a.branch1"].pow(2).mean() + 0.5 * acts["conv2"][:, 7].mean() + 0.1 * logits[:, 5].mean()
    (expected,) = torch.autograd.grad(value, x)

    got, got_value = backend.gradient(image.numpy())
    assert got_value == pytest.approx(value.item(), rel=1e-5)
    assert _agree(got, expected.numpy())


@pytest.fixture
def mobilenet(cache: Path) -> graphs.Graph:
    assert MOBILENET.is_file(), f"the shared test model is missing: {MOBILENET}"
    assert main(["models", "import", str(MOBILENET), "--as", "mobilenet", "--preprocess", "inception"]) == 0
    (graph,) = graphs.installed("mobilenet")
    return graph


def test_mobilenets_layers_are_found_and_named(mobilenet: graphs.Graph, capsys: pytest.CaptureFixture[str]):
    layers = catalogue.layer_infos("mobilenet")
    assert [i.name for i in layers] == [f"features.{i}" for i in range(27)]
    assert [i.channels for i in layers][:3] == [24, 24, 48] and layers[-1].channels == 768
    assert [i.stride for i in layers][::6] == [2, 4, 16, 16, 32]
    assert catalogue.default_layer("mobilenet") == "features.16"
    assert main(["layers", "mobilenet"]) == 0
    assert "features.16" in capsys.readouterr().out
    meta = json.loads(Path(mobilenet.path).with_suffix(".json").read_text())
    assert meta["weights_sha256"] == mobilenet.weights_sha256 != ""


@pytest.mark.numeric
def test_the_mobilenet_graph_scores_as_the_model_does(mobilenet: graphs.Graph):
    """The class score the graph computes from a [0, 1] picture is the original model's logit on that
    picture preprocessed as its README says (x / 127.5 - 1): preprocessing and wiring are right."""
    photo = small_photo(160, 120).astype(np.float32) / 255
    planar = np.ascontiguousarray(photo.transpose(2, 0, 1)[None])
    original = ort.InferenceSession(str(MOBILENET), providers=["CPUExecutionProvider"])
    logits = original.run(None, {"input": planar * 2 - 1})[0][0]
    assert int(np.argmax(logits)) in range(281, 286)  # a cat: the example photo's
    backend = open_backend(DreamSettings(model="mobilenet", objective="class:tabby", backend="onnx"))
    assert backend.value(planar) == pytest.approx(float(logits[281]), rel=1e-4)


@pytest.mark.numeric
def test_the_mobilenet_gradient_is_the_derivative(mobilenet: graphs.Graph):
    backend = open_backend(DreamSettings(model="mobilenet", objective="features.16 + 0.3*features.5:3",
                                         backend="onnx"))
    planar = np.ascontiguousarray(small_photo(97, 65).transpose(2, 0, 1)[None], dtype=np.float32) / 255
    grad, _ = backend.gradient(planar)
    direction = np.random.default_rng(0).standard_normal(planar.shape).astype(np.float32)
    step = 1e-4  # small: a larger step carries activations across ReLU6's kinks (6 % off at 1e-3)
    slope = (backend.value(planar + step * direction) - backend.value(planar - step * direction)) / (2 * step)
    assert float((grad * direction).sum()) == pytest.approx(slope, rel=2e-2)


def test_a_mobilenet_dream_grows_its_layer(mobilenet: graphs.Graph):
    photo = small_photo(96, 72).astype(np.float32) / 255
    result = dream(photo, DreamSettings(model="mobilenet", steps=5, octaves=2, backend="onnx"))
    assert result.backend == "onnx" and result.layers == ["features.16"]
    assert result.objective_after > result.objective_before * 1.15  # 1.17 with 3 steps when written


def test_bad_imports_are_one_line_errors(tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(DreamError, match="unknown preprocessing"):
        parse_preprocess("bgr please")
    assert parse_preprocess("mean=0.5,0.5,0.5,std=0.25,0.25,0.25,bgr") == ((0.5,) * 3, (0.25,) * 3, True)
    # a graph with an operator the backward does not know, on the picture's path
    x = onnx.helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, "h", "w"])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3, "h", "w"])
    weight = onnx.numpy_helper.from_array(np.ones((3, 3, 1, 1), np.float32), "w")
    nodes = [onnx.helper.make_node("Conv", ["input", "w"], ["c"]), onnx.helper.make_node("Erf", ["c"], ["e"]),
             onnx.helper.make_node("Relu", ["e"], ["y"])]
    model = onnx.helper.make_model(onnx.helper.make_graph(nodes, "g", [x], [y], [weight]),
                                   opset_imports=[onnx.helper.make_opsetid("", 17)])
    odd = tmp_path / "odd.onnx"
    onnx.save(model, str(odd))
    assert main(["models", "import", str(odd), "--as", "odd"]) == 2
    err = capsys.readouterr().err
    assert "operator Erf" in err and err.count("\n") == 1
    assert graphs.installed() == []


# --- the same imports on the torch backend ------------------------------------------------------

def _same_gradients(model: str, objective: str, height: int, width: int) -> None:
    """The torch backend (the forward graph run by torch, differentiated by autograd) and the onnx
    backend (the gradient graph built in ONNX) agree on a tile: 1e-6 relative L2 when written."""
    tile = np.random.default_rng(height * width).random((1, 3, height, width), dtype=np.float32)
    on_torch = open_backend(DreamSettings(model=model, objective=objective, backend="torch"))
    on_onnx = open_backend(DreamSettings(model=model, objective=objective, backend="onnx"))
    assert on_torch.name == "torch" and on_onnx.name == "onnx" and on_torch.objective == on_onnx.objective
    got, got_value = on_torch.gradient(tile)
    expected, value = on_onnx.gradient(tile)
    assert got_value == pytest.approx(value, rel=1e-5)
    assert on_torch.value(tile) == pytest.approx(value, rel=1e-5)
    error = np.linalg.norm(got - expected) / np.linalg.norm(expected)
    assert error < 1e-4, f"{error:.2e} relative L2"


@pytest.mark.numeric
@pytest.mark.parametrize("height, width", [(65, 97), (64, 96)])
def test_torch_runs_the_imported_googlenet_as_its_gradient_graph_does(googlenet, cache: Path, height: int,
                                                                     width: int):
    _, path = googlenet
    import_classifier(path, "my-googlenet", "imagenet")
    _same_gradients("my-googlenet", "inception4c.branch2.1 + 0.5*conv2:7 + 0.1*class:5", height, width)


@pytest.mark.numeric
@pytest.mark.parametrize("height, width", [(65, 97), (64, 96)])
def test_torch_runs_the_imported_mobilenet_as_its_gradient_graph_does(mobilenet: graphs.Graph, height: int,
                                                                      width: int):
    _same_gradients("mobilenet", "features.16 + 0.3*features.5:3 + 0.1*class:tabby", height, width)


def test_the_torch_network_has_the_layers_the_graph_lists(mobilenet: graphs.Graph, capsys: pytest.CaptureFixture[str]):
    """Measured on the torch network itself, the layers are the gradient graph's, so `layers` says
    the same with torch (the registry answers) and without (the graph's metadata answers)."""
    net = registry.load("mobilenet", torch.device("cpu"))
    listed = [(layer.name, layer.channels, layer.stride) for layer in mobilenet.layers if layer.name != LOGITS]
    assert [(name, net.shape(name).channels, net.shape(name).stride) for name in net.layer_names] == listed
    assert net.spec.default_layer == mobilenet.default_layer and net.spec.labels() == mobilenet.labels
    assert main(["layers", "mobilenet"]) == 0
    with_torch = capsys.readouterr().out
    from test_onnx_backend import BLOCK_TORCH

    without = subprocess.run([sys.executable, "-c", BLOCK_TORCH, "layers", "mobilenet"], capture_output=True,
                             text=True, timeout=120)
    assert without.returncode == 0, without.stderr
    assert without.stdout == with_torch + "SLOW-MODULES []\n"
    assert "textures and repeating patterns" in with_torch


def test_a_mobilenet_dream_on_torch_takes_neurons_and_guides(mobilenet: graphs.Graph, tmp_path: Path):
    """What the gradient graph has no input for, the torch backend dreams; auto takes torch for an
    imported model where torch is installed."""
    guide = tmp_path / "guide.png"
    Image.fromarray(small_photo(64, 48)[:, ::-1]).save(guide)
    photo = small_photo(96, 72).astype(np.float32) / 255
    objective = f'features.12:5@0.5,0.5 + 0.5*guide:"{guide}"@features.10'
    with pytest.raises(DreamError, match="cannot dream neuron terms"):
        dream(photo, DreamSettings(model="mobilenet", objective=objective, backend="onnx", steps=1))
    result = dream(photo, DreamSettings(model="mobilenet", objective=objective, steps=4, octaves=2))
    assert result.backend == "torch" and result.device == "cpu"
    assert result.objective_after > result.objective_before


def test_torch_refuses_an_imported_operator_it_cannot_run(tmp_path: Path, cache: Path):
    """A graph whose shape arithmetic uses an operator the interpreter lacks still imports for the
    onnx backend; torch names the operator and auto falls back to ONNX Runtime."""
    x = onnx.helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, "h", "w"])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3, "h", "w"])
    weight = onnx.numpy_helper.from_array(np.ones((3, 3, 1, 1), np.float32), "w")
    nodes = [onnx.helper.make_node("Conv", ["input", "w"], ["c"]), onnx.helper.make_node("Relu", ["c"], ["r"]),
             onnx.helper.make_node("Shape", ["r"], ["s"]), onnx.helper.make_node("Cast", ["s"], ["f"], to=1),
             onnx.helper.make_node("Round", ["f"], ["rounded"]),
             onnx.helper.make_node("Cast", ["rounded"], ["shape"], to=7),
             onnx.helper.make_node("Reshape", ["r", "shape"], ["y"])]
    model = onnx.helper.make_model(onnx.helper.make_graph(nodes, "g", [x], [y], [weight]),
                                   opset_imports=[onnx.helper.make_opsetid("", 17)])
    path = tmp_path / "rounding.onnx"
    onnx.save(model, str(path))
    import_classifier(path, "rounding", "unit")
    assert "rounding" not in registry.names()
    with pytest.raises(DreamError, match="cannot run rounding: its graph uses Round; dream it with --backend onnx"):
        open_backend(DreamSettings(model="rounding", backend="torch"))
    assert open_backend(DreamSettings(model="rounding")).name == "onnx"


def test_a_built_in_name_is_refused(cache: Path):
    with pytest.raises(DreamError, match="googlenet is a built-in model"):
        import_classifier(MOBILENET, "googlenet", "inception")
    assert graphs.installed() == []


def test_the_engine_process_dreams_an_imported_model_on_torch(mobilenet: graphs.Graph):
    """The dialog's engine with --backend torch lists the import with both backends, answers its
    layers from the torch network's registry, and dreams a neuron (which ONNX Runtime cannot)."""
    from dreamlayer import protocol
    from dreamlayer.pixels import Image as Pixels
    from test_worker import WorkerProcess

    engine = WorkerProcess("-m", "dreamlayer.engine.worker", "--backend", "torch")
    try:
        assert engine.receive().type == "hello"
        engine.send("list_models", id=1)
        listed = {m["name"]: m for m in engine.receive()["models"]}
        assert listed["mobilenet"]["backends"] == ["torch", "onnx"] and listed["mobilenet"]["installed"]
        engine.send("layers", id=2, model="mobilenet")
        layers = engine.receive()
        assert layers["default"] == "features.16" and len(layers["layers"]) == 27
        rgba = np.concatenate([small_photo(64, 48), np.full((48, 64, 1), 255, np.uint8)], axis=2)
        engine.dream(3, Pixels(64, 48, rgba.tobytes(), 8), DreamSettings(model="mobilenet", steps=2, octaves=1,
                                                                         objective="features.16:3@0.5,0.5"))
        _, result = engine.until("result", "error")
        assert result.type == "result", result.fields
        assert result["device"] == "cpu" and result["model"] == "mobilenet"
        assert protocol.image_from(result).data != rgba.tobytes()
    finally:
        engine.close()


def test_importing_again_under_a_name_changes_what_torch_runs(mobilenet: graphs.Graph):
    """A long-lived engine process keeps networks loaded; an import made meanwhile under the same
    name (here another preprocessing) is what its next dream runs, on both backends alike."""
    tile = np.ascontiguousarray(small_photo(97, 65).transpose(2, 0, 1)[None], dtype=np.float32) / 255
    settings = {"model": "mobilenet", "objective": "features.3"}
    before = open_backend(DreamSettings(**settings, backend="torch")).value(tile)
    import_classifier(MOBILENET, "mobilenet", "unit")
    on_torch = open_backend(DreamSettings(**settings, backend="torch")).value(tile)
    on_onnx = open_backend(DreamSettings(**settings, backend="onnx")).value(tile)
    assert on_torch == pytest.approx(on_onnx, rel=1e-5)
    assert on_torch != pytest.approx(before, rel=1e-3)  # 4 % apart when written: far beyond rounding
