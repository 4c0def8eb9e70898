"""Projection: the seed's direct way to see what a unit of a fully connected net stands for.

No optimisation: start from a blank picture, ask for a unit's activation to rise, and walk the
wish back to the pixels layer by layer, undoing each activation function exactly and each
weight matrix with a damped pseudo-inverse. The exact pseudo-inverse gives the smallest pixel
change that does the job, but it is ruled by the weights' tiniest singular values, i.e. by
pixels the network barely looks at, and comes out as speckle; damping (Tikhonov) moves it
towards projecting through the transposed weights, which shows where the unit's evidence lies.
Works for nn.Sequential nets of Linear layers and invertible activations whose preprocess can
be inverted (``inverse(vector, size)`` and ``limits``), such as the 'digits' model.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Optional, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from dreamlayer.objective import Channel, ClassLogit

from ..backends.torch_backend import TorchBackend
from ..errors import DreamError
from ..models.network import LOGITS, DreamNet
from ..objectives import Scorer
from .api import VisualizeResult, open_for, summarize
from .render import ProgressCallback
from .settings import VisualizeSettings

DAMPING = 1.0  # Tikhonov damping relative to the largest singular value squared; 0 = exact pseudo-inverse
STRENGTH = 10.0  # how far the unit's activation is raised above its value on the blank picture


def _invert_activation(module: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    if isinstance(module, nn.LeakyReLU) and module.negative_slope > 0:
        slope = module.negative_slope
        return lambda y: torch.where(y >= 0, y, y / slope)
    if isinstance(module, nn.Tanh):
        return lambda y: torch.atanh(y.clamp(-1 + 1e-6, 1 - 1e-6))
    if isinstance(module, nn.Identity):
        return lambda y: y
    raise DreamError(f"projection cannot invert {module.__class__.__name__}: it needs Linear layers and "
                     "invertible activations (leaky ReLU, tanh); use --method optimize")


def damped_pinv(weight: torch.Tensor, damping: float = DAMPING) -> torch.Tensor:
    """W^T (W W^T + d s_max^2 I)^-1: the pseudo-inverse at d = 0, the scaled transpose as d grows."""
    if damping < 0:
        raise DreamError(f"damping must be 0 or more, not {damping}")
    if damping == 0:
        return torch.linalg.pinv(weight)
    largest = torch.linalg.matrix_norm(weight, ord=2)
    gram = weight @ weight.T + damping * largest ** 2 * torch.eye(weight.shape[0], dtype=weight.dtype)
    return weight.T @ torch.linalg.inv(gram)


@runtime_checkable
class Invertible(Protocol):
    """A preprocess that can be undone, such as the 'digits' model's."""

    limits: tuple[float, float]  # the range of the values it produces

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def inverse(self, values: torch.Tensor, size: int) -> torch.Tensor: ...


def _chain(net: DreamNet, layer: str) -> tuple[list[nn.Module], Invertible]:
    """The modules from the input up to and including the one whose output is ``layer``, and the
    preprocess before them."""
    net.check_layer(layer)
    preprocess = net.spec.preprocess
    if not isinstance(net.net, nn.Sequential) or not isinstance(preprocess, Invertible):
        raise DreamError(f"projection works only for small fully connected nets such as 'digits'; "
                         f"{net.spec.name} is not one: use --method optimize")
    modules = list(net.net)
    if layer == LOGITS:
        return modules, preprocess
    target = dict(net.net.named_modules())[next(d.module for d in net.spec.layers if d.name == layer)]
    return modules[:modules.index(target) + 1], preprocess


def _forward(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One module on a float64 vector (on the CPU: the nets this is for are tiny), the module untouched."""
    if isinstance(module, nn.Linear):
        return module.weight.detach().cpu().double() @ x + module.bias.detach().cpu().double()
    _invert_activation(module)  # fail early on what could not be undone later
    return module(x)


def project(net: DreamNet, layer: str, unit: int, size: int, *, damping: float = DAMPING,
            strength: float = STRENGTH) -> np.ndarray:
    """A size x size x 3 picture in [0, 1] of what raises ``unit`` of ``layer`` (LOGITS for a class).

    The change from the blank picture is scaled so that its strongest pixel just reaches the
    end of the range the network reads (full ink, for digits).
    """
    chain, preprocess = _chain(net, layer)
    with torch.no_grad():
        blank = preprocess(torch.ones(1, 3, size, size))[0].double()
        outputs = [blank]
        for module in chain:
            outputs.append(_forward(module, outputs[-1]))
        if not 0 <= unit < outputs[-1].shape[0]:
            raise DreamError(f"unit {unit} out of range for {layer}: it has units 0..{outputs[-1].shape[0] - 1}")
        wanted = outputs[-1].clone()
        wanted[unit] += strength
        for module, before, after in zip(reversed(chain), reversed(outputs[:-1]), reversed(outputs[1:])):
            if isinstance(module, nn.Linear):
                wanted = before + damped_pinv(module.weight.detach().cpu().double(), damping) @ (wanted - after)
            else:
                wanted = _invert_activation(module)(wanted)
        change = wanted - blank
        low, high = preprocess.limits
        room = torch.where(change > 0, (high - blank) / change, (low - blank) / change)
        room = room[room > 0]  # pixels already at a limit and pushed past it are simply clipped
        scale = float(room.min()) if len(room) else 0.0
        picture = preprocess.inverse((blank + scale * change).float()[None], size)
    return picture[0].permute(1, 2, 0).clamp(0, 1).numpy().astype(np.float32)


def project_class(net: DreamNet, class_index: int, size: int, *, damping: float = DAMPING) -> np.ndarray:
    """A picture of class ``class_index`` by projection (see ``project``)."""
    classes = len(net.spec.labels())
    if not 0 <= class_index < classes:
        raise DreamError(f"class index {class_index} out of range: {net.spec.name} has classes 0..{classes - 1}")
    return project(net, LOGITS, class_index, size, damping=damping)


def _target(objective: Scorer, net: DreamNet) -> tuple[str, int]:
    """(layer, unit) of a one-class or one-channel objective; anything else cannot be projected."""
    terms = objective.objective.terms()
    if len(terms) == 1 and terms[0][0] > 0:
        term = terms[0][1]
        if isinstance(term, ClassLogit):
            return LOGITS, net.spec.labels().index(term.label)
        if isinstance(term, Channel):
            return term.layer, term.channel
    raise DreamError(f"projection paints one class or one unit (e.g. --class 3 or --objective hidden:5), "
                     f"not {objective.name}")


def projection(settings: VisualizeSettings, progress: Optional[ProgressCallback] = None) -> VisualizeResult:
    """The 'projection' visualize method: no steps, so ``progress`` is not called."""
    started = time.perf_counter()
    backend = open_for(replace(settings, backend="torch"))
    assert isinstance(backend, TorchBackend)
    net = backend.net
    layer, unit = _target(backend.scorer, net)
    size = settings.size or net.spec.input_size
    picture = project(net, layer, unit, size)
    blank = np.ones((3, size, size), np.float32)
    return summarize(backend, replace(settings, steps=0), blank, picture.transpose(2, 0, 1), started)
