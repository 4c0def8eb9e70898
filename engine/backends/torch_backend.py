"""The torch backend: the registry's networks, every objective, on the CPU or a GPU."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from dreamlayer.objective import Objective
from dreamlayer.settings import DreamSettings

from ..devices import resolve_device
from ..lanes import cpu_lanes
from ..models import registry
from ..models.network import LOGITS, DreamNet
from ..objectives import Scorer, build_objective
from .torch_lanes import take_lane_share


class TorchBackend:
    """A loaded network and a compiled objective; tiles cross between numpy and torch without a
    copy on the CPU, and as one transfer each way on a GPU."""

    name = "torch"

    def __init__(self, net: DreamNet, scorer: Scorer) -> None:
        self.net = net
        self.scorer = scorer
        self.device = str(net.device)
        self.objective: Objective = scorer.objective
        self.layers = sorted(scorer.layers)
        # on a GPU one tile at a time: it is busy enough, and a second tile only takes its memory
        self.lanes = cpu_lanes() if net.device.type == "cpu" else None

    @property
    def labels(self) -> list[str]:
        return self.net.spec.labels()

    @property
    def input_size(self) -> int:
        return self.net.spec.input_size

    @classmethod
    def open(cls, settings: DreamSettings) -> "TorchBackend":
        net = registry.load(settings.model, resolve_device(settings.device))
        return cls(net, build_objective(settings, net))

    def _score(self, part: torch.Tensor) -> torch.Tensor:
        take_lane_share()
        return self.scorer(self.net.activations(part, self.scorer.layers))

    def gradient(self, tile: np.ndarray) -> tuple[np.ndarray, float]:
        part = torch.from_numpy(tile).to(self.net.device).requires_grad_(True)
        value = self._score(part)
        (grad,) = torch.autograd.grad(value, part)
        return grad.cpu().numpy(), float(value.detach())

    def value(self, tile: np.ndarray) -> float:
        with torch.no_grad():
            return float(self._score(torch.from_numpy(tile).to(self.net.device)))

    def logits(self, tile: np.ndarray) -> Optional[np.ndarray]:
        with torch.no_grad():
            scores = self.net.activations(torch.from_numpy(tile).to(self.net.device), {LOGITS})[LOGITS]
        return scores[0].float().cpu().numpy()

    def peak_gpu_bytes(self) -> int:
        device = self.net.device
        return torch.cuda.max_memory_allocated(device) if device.type == "cuda" else 0
