"""The dream engine (PyTorch). Import it only in the engine's own Python, never in an editor.

The heavy names load on first use, so `dreamlayer --help` and the installer stay fast and
work without torch.
"""
import importlib
from typing import TYPE_CHECKING

from .errors import DreamCancelled, DreamError

if TYPE_CHECKING:
    from .deepdream import DreamResult, Progress, dream

__all__ = ["dream", "Progress", "DreamResult", "DreamCancelled", "DreamError"]


def __getattr__(name: str) -> object:
    if name in ("dream", "Progress", "DreamResult"):
        return getattr(importlib.import_module(".deepdream", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
