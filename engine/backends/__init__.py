"""Where the dream's gradient comes from: torch, or ONNX Runtime with no torch installed.

The dream loop (octaves, tiles, jitter, mask, progress) is the same for both; a backend supplies
only the objective's value and gradient on a tile (:class:`base.Backend`).
"""
from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path

from dreamlayer.settings import DreamSettings

from ..errors import DreamError
from .base import Backend, requested

__all__ = ["Backend", "open_backend", "torch_installed"]


def torch_installed() -> bool:
    """Whether torch can be imported here, without importing it (that alone takes 1.5 s)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # an import hook refuses it, or a half-removed module
        return False


def _gpu_for_torch() -> bool:
    """Whether torch's ``auto`` device would be a GPU here, judged without importing torch: an NVIDIA
    driver, or Apple silicon."""
    return Path("/proc/driver/nvidia/version").exists() or (sys.platform == "darwin" and platform.machine() == "arm64")


def _graph_serves(settings: DreamSettings) -> bool:
    """Whether an installed gradient graph can dream ``settings``' objective (its layers, no neuron or
    guide terms)."""
    from .. import graphs
    from .onnx_backend import UNSUPPORTED, layers_read

    installed = graphs.installed(settings.model)
    if not installed:
        return False
    try:
        objective = requested(settings, installed[0].default_layer)
        if any(isinstance(term, UNSUPPORTED) for _, term in objective.terms()):
            return False
        graphs.choose(settings.model, layers_read(objective))
    except DreamError:
        return False
    return True


def _auto(settings: DreamSettings) -> str:
    if not torch_installed():
        return "onnx"
    if settings.device in ("auto", "cpu") and not _gpu_for_torch() and _graph_serves(settings):
        return "onnx"
    from .. import graphs
    from ..models import registry

    if settings.model in registry.names():
        return "torch"
    if graphs.installed(settings.model):
        return "onnx"
    raise DreamError(f"unknown model {settings.model!r}; choose one of: "
                     f"{', '.join(registry.names() + graphs.models())}")


def open_backend(settings: DreamSettings) -> Backend:
    """The backend ``settings.backend`` names, ready to dream ``settings``' objective.

    ``auto`` is ONNX Runtime where an installed gradient graph holds the objective and torch would
    dream on the CPU: the same dream without importing torch (1.5 s) and at least as fast a step.
    Otherwise torch where it is installed and knows the model (every objective: neurons, guides; a
    GPU), else ONNX Runtime, which says what is missing. A classifier brought as ONNX is known to
    both and follows the same rule.
    """
    choice = settings.backend
    if choice == "auto":
        choice = _auto(settings)
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
