"""The dream engine (PyTorch). Import it only in the engine's own Python, never in an editor.

The heavy names load on first use, so `dreamlayer --help` and the installer stay fast and
work without torch.
"""
import importlib

from .errors import DreamCancelled, DreamError

__all__ = ["dream", "Progress", "DreamResult", "DreamCancelled", "DreamError"]


def __getattr__(name: str):
    if name in ("dream", "Progress", "DreamResult"):
        return getattr(importlib.import_module(".deepdream", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
