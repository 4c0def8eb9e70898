"""Imported ONNX classifiers as registry entries, so the torch backend dreams them like its own."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from torch import nn

from ..imported import Classifier
from .onnx_net import SUPPORTED, OnnxNetwork
from .spec import LayerDef, ModelSpec, Preprocess, Weights


def unsupported(record: Classifier) -> list[str]:
    """The operators of ``record``'s graph the torch interpreter lacks (none, for anything the
    gradient graph could be made of)."""
    return sorted(set(record.ops) - SUPPORTED)


def imported_spec(record: Classifier) -> ModelSpec:
    """The entry for an imported classifier: its forward graph, run by ``OnnxNetwork``, is its
    architecture and weights; node ``i``'s output is the layer ``nodes.i``'s."""
    path = Path(record.path)
    output = record.logits or record.layers[-1].tensor

    def build() -> nn.Module:
        return OnnxNetwork.load(path, record.input, output)

    def locate() -> Optional[Path]:
        return path if path.is_file() else None

    return ModelSpec(
        name=record.model, description=f"imported ONNX classifier ({record.source})", build=build,
        weights=Weights(sha256=record.sha256, filename=path.name, locate=locate),
        preprocess=Preprocess(tuple(record.mean), tuple(record.std), record.bgr),  # type: ignore[arg-type]
        layers=tuple(LayerDef(layer.name, f"nodes.{layer.node}", layer.hint) for layer in record.layers),
        default_layer=record.default_layer, labels=lambda: list(record.labels), weights_inside=True,
        known_shapes={layer.name: (layer.channels, layer.stride) for layer in record.layers})
