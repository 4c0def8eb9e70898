"""Installed gradient graphs: what the ONNX Runtime backend dreams with, no torch needed.

A graph comes from ``dreamlayer export-onnx`` on any machine with torch, or from a URL a user
or their studio serves; ``dreamlayer models import`` checks it loads in ONNX Runtime, reads
its ``dreamlayer.*`` metadata and keeps it in the model cache as ``graphs/MODEL@LAYER.onnx``
(LAYER: the deepest layer inside) with the metadata beside it as JSON, so listing and choosing
graphs opens no graph. Several graphs of one model may be installed; a dream takes the
shallowest that holds every layer its objective reads, since a graph always runs to its end.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from .cache import models_dir
from .download import download, sha256_file
from .errors import DreamError
from .files import replacing, write_text

LOGITS = "logits"


@dataclass(frozen=True)
class GraphLayer:
    name: str
    channels: int
    stride: int


@dataclass(frozen=True)
class Graph:
    """An installed gradient graph and what its metadata says of it."""

    path: str
    model: str
    layers: list[GraphLayer]
    default_layer: str
    sha256: str  # of the .onnx file
    weights_sha256: str = ""  # of the weights it was exported from
    labels: list[str] = field(default_factory=list)  # class names, where the graph holds the logits
    hints: dict[str, str] = field(default_factory=dict)

    @property
    def deepest(self) -> str:
        return self.layers[-1].name

    def layer(self, name: str) -> Optional[GraphLayer]:
        return next((layer for layer in self.layers if layer.name == name), None)


def graphs_dir() -> Path:
    path = models_dir() / "graphs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _from_json(data: dict) -> Graph:
    return Graph(**{**data, "layers": [GraphLayer(**layer) for layer in data["layers"]]})


def installed(model: Optional[str] = None) -> list[Graph]:
    """Installed graphs (of ``model``), shallowest first; a graph whose file is gone is skipped."""
    found = []
    for meta in sorted(graphs_dir().glob("*.json")):
        try:
            graph = _from_json(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        if Path(graph.path).is_file() and (model is None or graph.model == model):
            found.append(graph)
    return sorted(found, key=lambda g: (g.model, len(g.layers)))


def models() -> list[str]:
    return sorted({graph.model for graph in installed()})


def choose(model: str, layers: set[str]) -> Graph:
    """The shallowest installed graph of ``model`` holding all of ``layers``; a one-line DreamError
    saying how to get one otherwise."""
    graphs = installed(model)
    if not graphs:
        raise DreamError(f"no ONNX graph of {model} is installed: where torch is, run `dreamlayer export-onnx "
                         f"{model} -o {model}.onnx`, then here `dreamlayer models import {model}.onnx`")
    for graph in graphs:
        if layers <= {layer.name for layer in graph.layers}:
            return graph
    deepest = graphs[-1]
    missing = sorted(layers - {layer.name for layer in deepest.layers})
    if deepest.deepest == LOGITS:  # the whole network is here: the layer does not exist
        raise DreamError(f"model {model} has no layer {missing[0]!r}; choose one of: "
                         f"{', '.join(layer.name for layer in deepest.layers)}")
    raise DreamError(f"the installed {model} graphs do not hold {', '.join(missing)} (the deepest ends at "
                     f"{deepest.deepest}; layers: {', '.join(layer.name for layer in deepest.layers)}); export one "
                     f"with `dreamlayer export-onnx {model}` (all layers and the logits) and import it")


def read_metadata(path: Path) -> dict[str, str]:
    """The ``dreamlayer.*`` metadata of an ONNX file, after checking ONNX Runtime can load it."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise DreamError("ONNX graphs need ONNX Runtime: pip install 'dreamlayer[onnx]'") from None
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors share no public base class
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise DreamError(f"{path} is not an ONNX model ONNX Runtime can load: {first}") from None
    meta = session.get_modelmeta().custom_metadata_map
    return {k: v for k, v in meta.items() if k.startswith("dreamlayer.")}


def describe(path: Path, name: Optional[str] = None) -> Graph:
    """What an exported gradient graph holds, from its metadata; DreamError if it is not one."""
    meta = read_metadata(path)
    if "dreamlayer.layers" not in meta:
        raise DreamError(f"{path} is not a dreamlayer gradient graph (no dreamlayer metadata): make one with "
                         "`dreamlayer export-onnx`, or bring a plain classifier with `dreamlayer models import "
                         f"{path.name} --as NAME`")
    try:
        layers = [GraphLayer(**layer) for layer in json.loads(meta["dreamlayer.layers"])]
        labels = json.loads(meta.get("dreamlayer.labels", "[]"))
        hints = json.loads(meta.get("dreamlayer.hints", "{}"))
    except (ValueError, TypeError) as exc:
        raise DreamError(f"{path} has damaged dreamlayer metadata: {exc}") from None
    if not layers:
        raise DreamError(f"{path} holds no layers to dream on")
    model = name or meta["dreamlayer.model"]
    return Graph(path=str(path), model=model, layers=layers,
                 default_layer=meta.get("dreamlayer.default_layer", layers[len(layers) // 2].name),
                 sha256=sha256_file(path), weights_sha256=meta.get("dreamlayer.weights_sha256", ""),
                 labels=labels, hints=hints)


def _beside(path: str, suffix: str, outputs: Callable[[Any], list[Any]]) -> Optional[str]:
    """A copy of the graph at ``path`` keeping only ``outputs(model)`` and what computes them, made once
    beside it as ``STEM.SUFFIX.onnx`` (again when the graph is newer); None without the ``onnx`` package."""
    source = Path(path)
    target = source.with_name(f"{source.stem}.{suffix}.onnx")
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return str(target)
    try:
        import onnx
    except ImportError:
        return None
    from .onnx_grad import prune

    model = onnx.load(path)
    kept = outputs(model)
    del model.graph.output[:]
    model.graph.output.extend(kept)
    prune(model.graph)
    with replacing(target) as temporary:
        onnx.save(model, str(temporary))
    return str(target)


def value_graph(path: str) -> str:
    """The graph at ``path`` without its backward (the ``value`` output alone), made once beside it.

    ONNX Runtime runs every node of a graph whatever outputs are asked for, so before/after figures
    taken from the gradient graph would cost a whole step per tile; without the backward they cost a
    forward. Made when a graph is installed, and on first use for graphs installed before, so a
    dream does not import the ``onnx`` package (0.85 s, most of it ``ml_dtypes``). Without that
    package the gradient graph itself serves.
    """
    return _beside(path, "value", lambda model: [o for o in model.graph.output if o.name == "value"]) or path


def logits_graph(path: str) -> Optional[str]:
    """The graph at ``path`` cut to its class scores, made once beside it; None without the ``onnx``
    package to cut with. The scores are the mean logit over the batch that the ``logits.classes``
    weights multiply: for the graph's one picture, the logits themselves (both exporters write the
    class term this way). For reports of what the network sees in a picture."""
    def scores(model: Any) -> list[Any]:
        import onnx

        return [onnx.helper.make_tensor_value_info(_logits_tensor(model.graph), onnx.TensorProto.FLOAT, None)]

    return _beside(path, "logits", scores)


def _logits_tensor(graph: Any) -> str:
    made_by = {out: node for node in graph.node for out in node.output}
    for node in graph.node:
        if node.op_type == "Mul" and "logits.classes" in node.input:
            for name in node.input:
                if name in made_by and made_by[name].op_type == "ReduceMean":
                    return str(name)
    raise DreamError("this graph has no logits term to read class scores from")


KEEP_SPECIALIZED = 6  # cut-down graphs kept per graph, the most recently used


def specialized(path: str, weights: dict[str, np.ndarray]) -> str:
    """The graph at ``path`` without the terms whose weight inputs are all zero (``onnx_specialize``),
    made once for each set of weighed inputs and kept beside it; ``path`` itself where it cannot be cut
    (an operator in the way, or no ``onnx`` package to cut with)."""
    source = Path(path)
    kept = sorted(name for name, value in weights.items() if np.any(value))
    zero = [name for name in weights if name not in kept]
    if not zero:
        return path
    key = hashlib.sha256("|".join(kept).encode()).hexdigest()[:12]
    target = source.with_name(f"{source.stem}.cut-{key}.onnx")
    whole = target.with_suffix(".whole")
    fresh = source.stat().st_mtime
    if target.is_file() and target.stat().st_mtime >= fresh:
        for used in (target, target.with_name(target.stem + ".value.onnx")):  # the value graph stays the newer
            if used.is_file():
                os.utime(used)  # recently used: kept when older copies are cleared
        return str(target)
    if whole.is_file() and whole.stat().st_mtime >= fresh:
        return path
    try:
        import onnx
    except ImportError:
        return path
    from .onnx_specialize import CannotSpecialize, agrees, drop_zero_inputs

    model = onnx.load(path)
    try:
        cut = drop_zero_inputs(model, zero)
    except CannotSpecialize:
        cut = None
    if cut is None or not agrees(model, cut, weights):
        write_text(whole, "this graph cannot be cut down for these weights; the whole graph serves\n")
        return path
    with replacing(target) as temporary:
        onnx.save(cut, str(temporary))
    _clear_specialized(source)
    return str(target)


def _clear_specialized(source: Path) -> None:
    """Delete all but the ``KEEP_SPECIALIZED`` most recently used cut-down copies of ``source`` (and their
    value-only graphs)."""
    # "cut-" marks them: another installed graph may be named like one ("resnet50@layer3.3" beside "@layer3")
    copies = [p for p in source.parent.glob(f"{source.stem}.cut-*.onnx") if not p.name.endswith(".value.onnx")]
    for old in sorted(copies, key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_SPECIALIZED:]:
        old.unlink(missing_ok=True)
        old.with_name(old.stem + ".value.onnx").unlink(missing_ok=True)


def import_graph(source: Path, name: Optional[str] = None) -> Graph:
    """Install an exported graph (as model ``name``, default the one it was exported from); an
    installed graph of the same model and depth is replaced."""
    if not source.is_file():
        raise DreamError(f"no such file: {source}")
    graph = describe(source, name)
    if "/" in graph.model or graph.model.startswith("."):
        raise DreamError(f"not a usable model name: {graph.model!r}")
    dest = graphs_dir() / f"{graph.model}@{graph.deepest}.onnx"
    with replacing(dest) as temporary, source.open("rb") as src, temporary.open("wb") as out:
        shutil.copyfileobj(src, out)
    if sha256_file(dest) != graph.sha256:
        dest.unlink()
        raise DreamError(f"{source} changed while it was copied; nothing was installed")
    installed_graph = Graph(**{**asdict(graph), "path": str(dest), "layers": graph.layers})
    from .backends.onnx_backend import OnnxBackend

    OnnxBackend.prepare(installed_graph)
    write_text(dest.with_suffix(".json"), json.dumps(asdict(installed_graph), indent=1) + "\n")
    return installed_graph


def pull_graph(url: str, sha256: str, size: int = 0, name: Optional[str] = None) -> Graph:
    """Download a graph (resumable, size-capped, sha256-checked, as weights are) and install it."""
    if not url.startswith(("http://", "https://")):
        raise DreamError(f"not an http(s) URL: {url}")
    target = models_dir() / "downloads" / (url.rstrip("/").rsplit("/", 1)[-1] or "graph.onnx")
    target.parent.mkdir(parents=True, exist_ok=True)
    path = download(url, target, sha256, size=size)
    try:
        return import_graph(path, name)
    finally:
        path.unlink(missing_ok=True)
