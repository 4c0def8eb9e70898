"""Where the dream's gradient comes from: torch, or ONNX Runtime with no torch installed.

The dream loop (octaves, tiles, jitter, mask, progress) is the same for both; a backend supplies
only the objective's value and gradient on a tile (:class:`base.Backend`).
"""
from __future__ import annotations

import importlib.util

from dreamlayer.settings import DreamSettings

from ..errors import DreamError
from .base import Backend

__all__ = ["Backend", "open_backend", "torch_installed"]


def torch_installed() -> bool:
    """Whether torch can be imported here, without importing it (that alone takes 1.5 s)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # an import hook refuses it, or a half-removed module
        return False


def _auto(model: str) -> str:
    if not torch_installed():
        return "onnx"
    from .. import graphs
    from ..models import registry

    if model in registry.names():
        return "torch"
    if graphs.installed(model):
        return "onnx"
    raise DreamError(f"unknown model {model!r}; choose one of: {', '.join(registry.names() + graphs.models())}")


def open_backend(settings: DreamSettings) -> Backend:
    """The backend ``settings.backend`` names, ready to dream ``settings``' objective.

    ``auto`` is torch where it is installed and knows the model (every objective), else ONNX
    Runtime on an installed gradient graph. A classifier brought as ONNX is known to both: auto
    takes torch for it too, so every objective (neurons, guides) and ``visualize`` work alike for
    all models, and one rule says which backend runs; ``--backend onnx`` picks the graph.
    """
    choice = settings.backend
    if choice == "auto":
        choice = _auto(settings.model)
    if choice == "torch":
        if not torch_installed():
            raise DreamError("the torch backend needs torch: pip install 'dreamlayer[engine]', "
                             "or dream with --backend onnx on an imported graph")
        from .torch_backend import TorchBackend

        return TorchBackend.open(settings)
    if choice == "onnx":
        from .onnx_backend import OnnxBackend

        return OnnxBackend.open(settings)
    raise DreamError(f"unknown backend {settings.backend!r}: use auto, torch or onnx")
