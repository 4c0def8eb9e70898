"""The optimisation loop: Adam on a parametrized picture, seen through random transforms.

Numpy only: the backend (torch or ONNX Runtime) gives the network objective's value and
gradient on each transformed view, as it does for dreams; the transforms, the penalties and
the parametrization carry that gradient back to the parameters through their adjoints.
"""
from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

import numpy as np

from ..backends import Backend
from ..deepdream import Progress
from ..errors import DreamCancelled
from .param import ImageParam
from .regularizers import Penalty
from .transforms import Chain, Transform, compose

ProgressCallback = Callable[[Progress], Optional[bool]]


class Adam:
    """torch.optim.Adam's update with its defaults (no weight decay), minimising."""

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, self.betas, self.eps = lr, betas, eps
        self.step_count = 0
        self.first: Optional[np.ndarray] = None
        self.second: Optional[np.ndarray] = None

    def step(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        b1, b2 = self.betas
        if self.first is None or self.second is None:
            self.first, self.second = np.zeros_like(params), np.zeros_like(params)
        self.step_count += 1
        self.first = b1 * self.first + (1 - b1) * grad
        self.second = b2 * self.second + (1 - b2) * grad * grad
        denominator = np.sqrt(self.second / (1 - b2 ** self.step_count)) + self.eps
        return params - self.lr / (1 - b1 ** self.step_count) * self.first / denominator


def objective_gradient(backend: Backend, picture: np.ndarray,
                       transform: Callable[[tuple[int, int], np.random.Generator], Chain], views: int,
                       rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """The objective averaged over ``views`` transformed copies of ``picture`` (C x H x W), and its
    gradient with respect to ``picture``."""
    total = 0.0
    grad = np.zeros_like(picture)
    for _ in range(views):
        gather = transform(picture.shape[1:], rng)
        seen = np.ascontiguousarray(gather(picture)[None], dtype=np.float32)
        seen_grad, value = backend.gradient(seen)
        grad += gather.adjoint(seen_grad[0].astype(np.float64))
        total += value
    return total / views, grad / views


def render(backend: Backend, param: ImageParam, *, steps: int, lr: float, transforms: Sequence[Transform] = (),
           penalties: Sequence[Penalty] = (), views: int = 1, rng: Optional[np.random.Generator] = None,
           progress: Optional[ProgressCallback] = None) -> np.ndarray:
    """Maximise ``backend``'s objective over ``param``'s picture and return it (C x H x W float32 in [0, 1]).

    Each step the network sees ``views`` independently transformed copies and the objective
    averages over them: more views, fewer accidents, proportionally more time. ``progress`` is
    called after every step with the same Progress as dream() (one octave); returning False
    raises DreamCancelled.
    """
    started = time.perf_counter()
    rng = rng if rng is not None else np.random.default_rng(0)
    transform = compose(transforms)
    optimizer = Adam(lr)
    for step in range(1, steps + 1):
        picture = param.forward()
        value, grad = objective_gradient(backend, picture, transform, views, rng)
        grad = -grad  # Adam minimises the loss: minus the objective, plus the penalties
        for penalty in penalties:
            grad += penalty(picture)[1]
        param.params = optimizer.step(param.params, param.adjoint(picture, grad))
        if progress is not None:
            def preview(picture: np.ndarray = picture) -> np.ndarray:
                return picture.transpose(1, 2, 0).astype(np.float32)

            if progress(Progress(step, steps, 0, 1, value, time.perf_counter() - started, preview)) is False:
                raise DreamCancelled(f"cancelled at step {step} of {steps}")
    return param.forward().astype(np.float32)
