"""The dream engine (PyTorch). Import it only in the engine's own Python, never in an editor.

The heavy names load on first use, so `dreamlayer --help` and the installer stay fast and
work without torch.
"""
import importlib

from .errors import DreamCancelled, DreamError

__all__ = ["dream", "Progress", "DreamResult", "DreamCancelled", "DreamError"]
_LAZY = ("dream", "Progress", "DreamResult")


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(".dream", __name__)
        # Importing the submodule bound the package attribute 'dream' to it; the API means the function.
        globals().update({lazy: getattr(module, lazy) for lazy in _LAZY})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
