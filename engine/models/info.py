"""What the engine tells about a model and its layers: plain records, no torch needed to read them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    size_bytes: int
    installed: bool
    path: Optional[str]
    downloadable: bool
    backends: tuple[str, ...] = ("torch",)  # which backends can dream with it here


@dataclass(frozen=True)
class LayerInfo:
    name: str
    channels: int
    stride: int
    hint: str
