"""Feature visualization: pictures painted from scratch of what a class, channel or layer looks for.

The names load on first use: the command line builds its parser from this package's settings
without loading a network library; the painting loads torch only on the torch backend.
"""
import importlib
from typing import TYPE_CHECKING

from .settings import AtlasSettings, VisualizeSettings

if TYPE_CHECKING:
    from .api import ClassScore, VisualizeResult, method_names, register_method, summarize, visualize

__all__ = ["visualize", "VisualizeSettings", "VisualizeResult", "ClassScore", "register_method",
           "method_names", "summarize", "AtlasSettings"]
_FROM_API = {"visualize", "VisualizeResult", "ClassScore", "register_method", "method_names", "summarize"}


def __getattr__(name: str) -> object:
    if name in _FROM_API:
        return getattr(importlib.import_module(".api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
