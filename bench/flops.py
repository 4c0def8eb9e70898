"""Counting the arithmetic a dream step really needs, to compare with the machine's peak.

The rule:

* forward: every ``Conv2d`` and ``Linear`` the truncated forward actually runs counts
  ``2 * output elements * (input channels / groups) * kernel height * kernel width``
  (a multiply and an add per weight tap);
* backward: DeepDream wants d objective / d image, so every one of those layers needs its
  input gradient - a transposed convolution with exactly the forward's multiply-adds - and
  that includes the first layer, because its input is the image. No weight gradients are
  needed (the weights are frozen), so the backward costs the forward again, not twice it.

Batch norm, ReLU6, padding and the objective are memory-bound and left out: the figure is
the useful arithmetic, so time spent on anything else shows up as a lower fraction of peak.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def _layer_flops(module: nn.Module, output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return 2 * output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return 2 * output.numel() * module.in_features
    return 0


def forward_flops(model: nn.Module, run: Callable[[], object]) -> int:
    """Convolution and linear FLOPs of the forward that ``run()`` performs on ``model``.

    Hooks see only the layers that execute, so a forward stopped early counts only up to
    where it stopped.
    """
    total = [0]

    def hook(module: nn.Module, _inputs, output) -> None:
        total[0] += _layer_flops(module, output)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return total[0]


def step_flops(forward: int) -> int:
    """FLOPs of one gradient step: the forward plus an input-gradient backward of equal size."""
    return 2 * forward


def _meta_net(model: str):
    """The network's architecture on the meta device: shapes only, no memory, no arithmetic."""
    from dreamlayer.engine.models import registry
    from dreamlayer.engine.models.network import DreamNet

    spec = registry.get(model)
    with torch.device("meta"):
        return DreamNet(spec, spec.build(), torch.device("meta"))


def schedule_flops(model: str, layers: set[str], sizes: list[tuple[int, int]], steps: int,
                   tile: int | None) -> int:
    """Useful FLOPs of a whole dream: every step of every octave, tile by tile when ``tile`` is set.

    Counts only what the objective needs (the forward up to its deepest layer, and the
    input-gradient backward); evaluations before and after are not the dream's work.
    """
    from dreamlayer.engine.tiling import tiles

    net = _meta_net(model)
    cache: dict[tuple[int, int], int] = {}
    total = 0
    for height, width in sizes:
        spans = tiles(height, width, tile) if tile else [(0, height, 0, width)]
        for y0, y1, x0, x1 in spans:
            shape = (y1 - y0, x1 - x0)
            if shape not in cache:
                probe = torch.zeros(1, 3, *shape, device="meta")
                cache[shape] = forward_flops(net.net, lambda: net.activations(probe, layers))  # noqa: B023 (called at once)
            total += steps * step_flops(cache[shape])
    return total


def full_forward_flops(model: str, sizes: list[tuple[int, int]], steps: int) -> int:
    """FLOPs of the whole network's forward at every step: what an untruncated loop adds."""
    from dreamlayer.engine.models.network import LOGITS

    net = _meta_net(model)
    total = 0
    for height, width in sizes:
        probe = torch.zeros(1, 3, height, width, device="meta")
        total += steps * forward_flops(net.net, lambda: net.activations(probe, {LOGITS}))  # noqa: B023 (called at once)
    return total
