"""The driver's side of the microscope: what to paint, sent to workers a few channels per task;
pictures and figures kept in the atlas cache, so a second run (or `atlas`) paints nothing again."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..cluster.connect import ClusterOptions
from ..cluster.models import ship
from ..cluster.tally import Tally
from ..files import publish
from ..visualize import AtlasSettings, atlas
from .paint import Painted, paint_channels

CHUNK = 8  # channels per worker task: the worker paints them one after another, with one network loaded

if TYPE_CHECKING:
    from distributed import Client


@dataclass
class Channel:
    index: int
    picture: Path  # in the atlas cache
    classes: list[tuple[str, float]]


@dataclass
class Layer:
    name: str
    channels: int  # all the layer has
    stride: int
    hint: str
    painted: list[Channel] = field(default_factory=list)  # those chosen, in channel order


def _classes_path(picture: Path) -> Path:
    return picture.with_name(picture.stem + ".classes.json")


def _cached(picture: Path) -> list[tuple[str, float]] | None:
    try:
        return [(str(label), float(p)) for label, p in json.loads(_classes_path(picture).read_text("utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def paint(client: Client, model: str, layers: list[Layer], chosen: dict[str, list[int]], settings: AtlasSettings,
          device: str, options: ClusterOptions, log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
          ) -> None:
    """Fill each layer's ``painted`` with its chosen channels, painting on the workers what is not cached."""
    from distributed import as_completed

    todo: list[tuple[Layer, list[int]]] = []
    for layer in layers:
        missing = []
        for index in chosen[layer.name]:
            picture = atlas.cache_path(model, layer.name, index, settings)
            classes = _cached(picture) if picture.is_file() else None
            if classes is None:
                missing.append(index)
            else:
                layer.painted.append(Channel(index, picture, classes))
        todo += [(layer, missing[i:i + CHUNK]) for i in range(0, len(missing), CHUNK)]
    tally = Tally(sum(len(chunk) for _, chunk in todo))
    if todo:
        cached = sum(len(c) for c in chosen.values()) - tally.total
        log(f"painting {tally.total} channels in {len(todo)} tasks ({cached} cached)")
        weights = ship(client, model).data
        wanted: dict[str, Any] = asdict(settings)
        futures = {client.submit(paint_channels, model, layer.name, chunk, wanted, device, options.cpus, weights,
                                 pure=False, resources=options.resources()): (layer, chunk) for layer, chunk in todo}
        for future in as_completed(futures):
            layer, chunk = futures.pop(future)
            result: list[Painted] = future.result()  # painting fails only for a broken set-up: stop
            for done in result:
                picture = atlas.cache_path(model, layer.name, done.channel, settings)
                picture.parent.mkdir(parents=True, exist_ok=True)
                publish(picture, done.png)  # a worker sharing this disk has put it there already
                publish(_classes_path(picture), json.dumps(done.classes).encode())
                layer.painted.append(Channel(done.channel, picture, done.classes))
            tally.done += len(chunk)
            log(f"[{tally.line()}] {layer.name} channels {chunk[0]}-{chunk[-1]}")
    for layer in layers:
        layer.painted.sort(key=lambda c: c.index)
