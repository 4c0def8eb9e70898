"""On a worker: paint a few channels of a layer (through the atlas and its cache) and ask the network
what it sees in each picture."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..cluster.work import prepare

TOP = 3  # classes shown per channel


@dataclass(frozen=True)
class Painted:
    channel: int
    png: bytes
    classes: list[tuple[str, float]]  # the network's top guesses for the picture, with probabilities


def paint_channels(model: str, layer: str, channels: list[int], settings: dict[str, Any], device: str,
                   threads: int, weights: Optional[bytes]) -> list[Painted]:
    """The channels' pictures as PNG bytes with the classes the network sees in them."""
    import numpy as np
    from PIL import Image

    from ..devices import resolve_device
    from ..models import registry
    from ..tensors import to_tensor
    from ..visualize import AtlasSettings, atlas
    from ..visualize.api import class_scores

    prepare(threads, model, weights)
    chosen = AtlasSettings(**{**settings, "transforms": tuple(settings["transforms"])})
    paths = atlas.channel_pictures(model, layer, channels, chosen, device)
    net = registry.load(model, resolve_device(device))
    painted = []
    for channel, path in zip(channels, paths):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
        _, top = class_scores(net, to_tensor(pixels), [])
        painted.append(Painted(channel, path.read_bytes(), [(s.label, s.probability) for s in top[:TOP]]))
    return painted
