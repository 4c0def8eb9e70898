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

    from dreamlayer.settings import DreamSettings

    from ..backends.torch_backend import TorchBackend
    from ..visualize import AtlasSettings, atlas
    from ..visualize.api import class_scores

    prepare(threads, model, weights)
    chosen = AtlasSettings(**{**settings, "transforms": tuple(settings["transforms"])})
    paths = atlas.channel_pictures(model, layer, channels, chosen, device)
    backend = TorchBackend.open(DreamSettings(model=model, device=device, layers=[layer]))
    painted = []
    for channel, path in zip(channels, paths):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
        _, top = class_scores(backend, pixels.transpose(2, 0, 1), [])
        painted.append(Painted(channel, path.read_bytes(), [(s.label, s.probability) for s in top[:TOP]]))
    return painted
