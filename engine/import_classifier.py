"""Bring your own classifier: an ordinary forward ONNX image classifier becomes a dreamable model.

Its dreamable layers are found in the graph (the outputs of its activations, named after the
nodes that make them), its gradient graph is built in ONNX (``onnx_grad``), and the result is
installed like any exported graph, so the onnx backend, ``layers`` and the dialog use it. The
forward graph is kept too, with the tensors behind the layers (``imported``), so the torch backend
runs the same network. No torch is needed, only the ``onnx`` package.
"""
from __future__ import annotations

import ast
import json
import re
import tempfile
from pathlib import Path
from typing import Any, Optional

from . import graphs, imported, onnx_grad
from .backends import torch_installed
from .download import sha256_file
from .errors import DreamError
from .models.hints import depth_hint
from .models.labels import imagenet_labels
from .preprocess import parse_preprocess

ACTIVATIONS = ("Relu", "Clip", "LeakyRelu")  # whose outputs are dreamable layers (their backward is supported)
DEFAULT_DEPTH = 0.6  # the default layer sits this far into the network: mid-level shapes and textures


def layer_name(node: Any, index: int) -> str:
    """A short dotted name for an activation node: its module path where the exporter recorded one
    (torch's: 'inception3a.branch1'), else from the node's name ('/features/features.3/Clip' ->
    'features.3'), else the operator and its position ('relu14')."""
    scopes = next((p.value for p in node.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), None)
    if scopes:
        try:
            parts = [str(p) for p in ast.literal_eval(scopes) if p][:-1]
        except (ValueError, SyntaxError):
            parts = []
    else:
        parts = [p for p in node.name.strip("/").split("/") if p][:-1]
    kept: list[str] = []
    for part in parts:
        if kept and part.startswith(kept[-1] + "."):  # 'features/features.3': the module path repeats itself
            kept[-1] = part
        else:
            kept.append(part)
    name = ".".join(kept)
    return name if name and re.fullmatch(r"[A-Za-z_][\w.]*", name) else f"{node.op_type.lower()}{index}"


def _input_name(model: Any) -> str:
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise DreamError(f"an image classifier has one input; this graph has {len(inputs)}")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 4 or (dims[1].HasField("dim_value") and dims[1].dim_value != 3):
        raise DreamError("the classifier's input must be a 1 x 3 x H x W picture (NCHW)")
    return inputs[0].name


def _logits(model: Any) -> str:
    """The classifier's scores before any softmax."""
    output = model.graph.output[0].name
    producer = next((n for n in model.graph.node if output in n.output), None)
    return producer.input[0] if producer is not None and producer.op_type in ("Softmax", "LogSoftmax") else output


def discover(model: Any, input_name: str) -> list[onnx_grad.Target]:
    """The dreamable layers, in network order, then the logits."""
    shapes = onnx_grad.probe_shapes(model, input_name)
    size = onnx_grad.PROBES[0][0]
    targets: list[onnx_grad.Target] = []
    seen: set[str] = set()
    for index, node in enumerate(model.graph.node):
        out = node.output[0] if node.output else ""
        if node.op_type not in ACTIVATIONS or not shapes.known(out) or len(shapes.at[0][out]) != 4:
            continue
        if not shapes.varies(out):
            continue  # after global pooling: no picture-sized activation
        name = layer_name(node, index)
        while name in seen:
            name += "_"
        seen.add(name)
        shape = shapes.at[0][out]
        targets.append(onnx_grad.Target(name, out, shape[1], max(1, round(size / shape[2]))))
    if not targets:
        raise DreamError(f"found no activations ({', '.join(ACTIVATIONS)}) on the picture's path to dream on")
    logits = _logits(model)
    if shapes.known(logits) and len(shapes.at[0][logits]) == 2:
        targets.append(onnx_grad.Target(graphs.LOGITS, logits, shapes.at[0][logits][1], 1))
    return targets


def _labels(classes: int) -> list[str]:
    if classes == 1000:
        return imagenet_labels()
    if classes == 1001:  # TensorFlow's slim models put a background class first
        return ["background"] + imagenet_labels()
    return [f"class {i}" for i in range(classes)]


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name):
        raise DreamError(f"not a usable model name: {name!r} (letters, digits, '.', '_', '-')")
    if torch_installed():  # a torch-free install cannot tell; its graphs are found by name alone
        from .models import registry

        if name in registry.builtin_names():
            raise DreamError(f"{name} is a built-in model; give yours another name with --as")


def _record(model: Any, source: Path, name: str, input_name: str, targets: list[onnx_grad.Target], default: str,
            mean: tuple[float, ...], std: tuple[float, ...], bgr: bool, labels: list[str]) -> imported.Classifier:
    """What the torch backend needs to run the forward graph as the gradient graph's model."""
    makers = {out: index for index, node in enumerate(model.graph.node) for out in node.output if out}
    layers = [t for t in targets if t.name != graphs.LOGITS]
    logits = next((t.tensor for t in targets if t.name == graphs.LOGITS), "")
    return imported.Classifier(
        model=name, path=str(source), sha256=sha256_file(source), input=input_name, logits=logits,
        layers=[imported.ImportedLayer(t.name, t.tensor, makers[t.tensor], t.channels, t.stride,
                                       depth_hint(i, len(layers))) for i, t in enumerate(layers)],
        default_layer=default, mean=list(mean), std=list(std), bgr=bgr,
        ops=sorted({node.op_type for node in model.graph.node}), labels=labels, source=source.name)


def import_classifier(source: Path, name: str, preprocess: str = "imagenet") -> graphs.Graph:
    """Make ``source`` (a forward ONNX classifier) a model called ``name`` for both backends."""
    onnx = onnx_grad.load_onnx()
    mean, std, bgr = parse_preprocess(preprocess)
    _check_name(name)
    try:
        model = onnx.load(str(source))
    except Exception as exc:  # protobuf's errors share no useful base class
        raise DreamError(f"{source} is not an ONNX model: {exc.__class__.__name__}") from None
    input_name = _input_name(model)
    targets = discover(model, input_name)
    layers = [t for t in targets if t.name != graphs.LOGITS]
    default = layers[min(len(layers) - 1, round(DEFAULT_DEPTH * (len(layers) - 1)))].name
    gradient = onnx_grad.gradient_graph(model, input_name, targets, mean, std, bgr)
    logits = next((t for t in targets if t.name == graphs.LOGITS), None)
    labels = _labels(logits.channels) if logits else []
    record = _record(model, source, name, input_name, targets, default, mean, std, bgr, labels)
    meta = {
        "dreamlayer.model": name,
        "dreamlayer.layers": json.dumps([{"name": t.name, "channels": t.channels, "stride": t.stride}
                                         for t in targets]),
        "dreamlayer.default_layer": default,
        "dreamlayer.labels": json.dumps(labels),
        "dreamlayer.hints": json.dumps({layer.name: layer.hint for layer in record.layers}),
        "dreamlayer.preprocess": json.dumps({"mean": list(mean), "std": list(std), "bgr": bgr}),
        "dreamlayer.weights_sha256": record.sha256,
        "dreamlayer.source": f"imported classifier {source.name}",
    }
    for key, value in meta.items():
        entry = gradient.metadata_props.add()
        entry.key, entry.value = key, value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.onnx"
        onnx.save(gradient, str(path))
        graph = graphs.import_graph(path, name)
    imported.install(source, record)
    return graph


def is_dreamlayer_graph(source: Path) -> Optional[bool]:
    """Whether an .onnx file is a gradient graph (True) or a plain model (False); None if unreadable."""
    try:
        return "dreamlayer.layers" in graphs.read_metadata(source)
    except DreamError:
        return None
