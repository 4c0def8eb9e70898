"""Imported classifiers' forward graphs, kept so the torch backend can run them too.

``dreamlayer models import some.onnx --as NAME`` installs a gradient graph for ONNX Runtime
(``graphs``) and, here, a copy of the forward graph with a record of what import found in it:
the tensor and node behind each dreamable layer, the logits, the preprocessing and the class
names. The torch registry turns such a record into a network (``models/imported_entries.py``);
this module itself needs neither torch nor onnx, so a torch-free install imports the same way.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from .cache import models_dir
from .download import sha256_file
from .errors import DreamError
from .files import replacing, write_text


@dataclass(frozen=True)
class ImportedLayer:
    name: str  # what users call it (the gradient graph's name for it)
    tensor: str  # the forward graph's tensor
    node: int  # index in the graph's nodes of the node that makes it
    channels: int
    stride: int
    hint: str = ""


@dataclass(frozen=True)
class Classifier:
    """An imported forward classifier and what import found in it."""

    model: str
    path: str  # the forward .onnx, as imported
    sha256: str  # of that file
    input: str  # the graph's picture input
    logits: str  # the scores before any softmax ("" if none were found)
    layers: list[ImportedLayer]
    default_layer: str
    mean: list[float]
    std: list[float]
    bgr: bool
    ops: list[str]  # the operator types the graph uses
    labels: list[str] = field(default_factory=list)
    source: str = ""  # the file name it was imported from

    def layer(self, name: str) -> Optional[ImportedLayer]:
        return next((layer for layer in self.layers if layer.name == name), None)


def imported_dir() -> Path:
    path = models_dir() / "imported"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _from_json(data: dict) -> Classifier:
    return Classifier(**{**data, "layers": [ImportedLayer(**layer) for layer in data["layers"]]})


def installed() -> list[Classifier]:
    """Every imported classifier whose files are both here, by name."""
    found = []
    for meta in sorted(imported_dir().glob("*.json")):
        try:
            record = _from_json(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        if Path(record.path).is_file():
            found.append(record)
    return found


def find(model: str) -> Optional[Classifier]:
    return next((record for record in installed() if record.model == model), None)


def install(source: Path, record: Classifier) -> Classifier:
    """Copy the forward graph ``source`` in as ``record.model`` (replacing an earlier import of that
    name) and write its record beside it; both writes are atomic."""
    dest = imported_dir() / f"{record.model}.onnx"
    with replacing(dest) as temporary, source.open("rb") as src, temporary.open("wb") as out:
        shutil.copyfileobj(src, out)
    if sha256_file(dest) != record.sha256:
        dest.unlink()
        raise DreamError(f"{source} changed while it was imported; import it again")
    kept = Classifier(**{**asdict(record), "path": str(dest), "layers": record.layers})
    write_text(dest.with_suffix(".json"), json.dumps(asdict(kept), indent=1) + "\n")
    return kept
