"""Turning the user's device choice into a torch.device, at call time (never at import)."""
from __future__ import annotations

import torch

from .errors import DreamError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' takes CUDA, then Apple MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise DreamError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DreamError(f"device {name!r} asked for, but this torch build sees no CUDA GPU; use --device cpu")
    return device
