"""Bring your own classifier: a plain forward ONNX model becomes a dreamable one, its gradient built
in ONNX. Checked against torch's autograd on GoogLeNet's architecture (exported from torchvision
with random weights: max pooling, concatenation, channel picks), and on the real MobileNet v1 from
../shared/models against its own forward pass and finite differences."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine import catalogue, graphs
from dreamlayer.engine.backends import open_backend
from dreamlayer.engine.deepdream import dream
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.import_classifier import import_classifier
from dreamlayer.engine.models import registry
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
                                                                          "+ 0.1*class:5"))
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
    backend = open_backend(DreamSettings(model="mobilenet", objective="class:tabby"))
    assert backend.value(planar) == pytest.approx(float(logits[281]), rel=1e-4)


@pytest.mark.numeric
def test_the_mobilenet_gradient_is_the_derivative(mobilenet: graphs.Graph):
    backend = open_backend(DreamSettings(model="mobilenet", objective="features.16 + 0.3*features.5:3"))
    planar = np.ascontiguousarray(small_photo(97, 65).transpose(2, 0, 1)[None], dtype=np.float32) / 255
    grad, _ = backend.gradient(planar)
    direction = np.random.default_rng(0).standard_normal(planar.shape).astype(np.float32)
    step = 1e-4  # small: a larger step carries activations across ReLU6's kinks (6 % off at 1e-3)
    slope = (backend.value(planar + step * direction) - backend.value(planar - step * direction)) / (2 * step)
    assert float((grad * direction).sum()) == pytest.approx(slope, rel=2e-2)


def test_a_mobilenet_dream_grows_its_layer(mobilenet: graphs.Graph):
    photo = small_photo(96, 72).astype(np.float32) / 255
    result = dream(photo, DreamSettings(model="mobilenet", steps=5, octaves=2))  # auto: only a graph knows it
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
