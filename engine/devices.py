"""Turning the user's device choice into a torch.device, at call time (never at import)."""
from __future__ import annotations

import torch

from .errors import DreamError

CHOICES = "auto, cpu, cuda, cuda:N or mps"


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def _xpu_count() -> int:
    xpu = getattr(torch, "xpu", None)
    return xpu.device_count() if xpu is not None and xpu.is_available() else 0


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' takes CUDA, then Apple MPS, then the CPU; any other choice must exist on this machine."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise DreamError(f"unknown device {name!r}: use {CHOICES}") from exc
    index = device.index or 0
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DreamError(f"device {name!r} asked for, but this torch build sees no CUDA GPU; use --device cpu")
        if index >= torch.cuda.device_count():
            raise DreamError(f"device {name!r} asked for, but there are only {torch.cuda.device_count()} "
                             f"CUDA GPU(s): cuda:0 to cuda:{torch.cuda.device_count() - 1}")
        return device
    if device.type == "mps" and _mps_available():
        return device
    if device.type == "xpu" and index < _xpu_count():
        return device
    if device.type in ("mps", "xpu"):
        raise DreamError(f"device {name!r} asked for, but this machine or torch build has none; use --device cpu")
    raise DreamError(f"device {name!r} cannot dream: use {CHOICES}")
