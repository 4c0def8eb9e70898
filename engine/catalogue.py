"""The models this engine can dream with, whichever backends are installed.

The torch registry knows its networks by their code (and an imported classifier by its forward
graph); an installed ONNX graph knows its model from its metadata. Where torch is missing, only
the graphs count, and nothing here imports torch unless it is installed.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Optional

from . import graphs
from .backends import torch_installed
from .errors import DreamError
from .models.info import LayerInfo, ModelInfo


def _registry() -> Optional[ModuleType]:
    if not torch_installed():
        return None
    from .models import registry

    return registry


def _graph(model: str) -> graphs.Graph:
    found = graphs.installed(model)
    if not found:
        known = ", ".join(graphs.models()) or "none is installed (dreamlayer models import FILE.onnx)"
        raise DreamError(f"unknown model {model!r}; the ONNX graphs here are of: {known}")
    return found[-1]  # the deepest: the most layers


def list_models() -> list[ModelInfo]:
    """The registry's models (where torch is) and every model with an installed graph."""
    infos: dict[str, ModelInfo] = {}
    registry = _registry()
    if registry is not None:
        infos = {m.name: m for m in registry.list_models()}
    for model in graphs.models():
        deepest = _graph(model)
        known = infos.get(model)
        if known is not None:
            infos[model] = ModelInfo(known.name, known.description, known.size_bytes, known.installed,
                                     known.path, known.downloadable, known.backends + ("onnx",))
        else:
            infos[model] = ModelInfo(model, f"ONNX graph up to {deepest.deepest}", sum(
                _size(g.path) for g in graphs.installed(model)), True, deepest.path, False, ("onnx",))
    return list(infos.values())


def _size(path: str) -> int:
    return Path(path).stat().st_size


def layer_infos(model: str) -> list[LayerInfo]:
    registry = _registry()
    if registry is not None and model in registry.names():
        return registry.layer_infos(model)
    graph = _graph(model)
    return [LayerInfo(layer.name, layer.channels, layer.stride, graph.hints.get(layer.name, ""))
            for layer in graph.layers if layer.name != graphs.LOGITS]


def default_layer(model: str) -> str:
    registry = _registry()
    if registry is not None and model in registry.names():
        return registry.default_layer(model)
    return _graph(model).default_layer


def labels(model: str) -> list[str]:
    registry = _registry()
    if registry is not None and model in registry.names():
        return registry.labels(model)
    return next((g.labels for g in reversed(graphs.installed(model)) if g.labels), [])
