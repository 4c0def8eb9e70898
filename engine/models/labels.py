"""ImageNet class names, and the engine's face of the forgiving class lookup in ``dreamlayer.classes``."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dreamlayer import classes

from ..errors import DreamError


@lru_cache(maxsize=1)
def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k names in the usual index order, as torchvision ships them (copied into
    ``data/imagenet_classes.txt``, so models imported without torch have them too)."""
    path = Path(__file__).with_name("data") / "imagenet_classes.txt"
    return path.read_text(encoding="utf-8").splitlines()


def find_class(query: str, labels: list[str]) -> int:
    """Index of a class given as an index or a name (see ``dreamlayer.classes``); DreamError if none fits."""
    try:
        return classes.find_class(query, labels)
    except classes.UnknownClass as error:
        raise DreamError(str(error)) from None
