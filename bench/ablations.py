"""Each engine optimisation undone on its own, to measure what it is worth (``--ablations``).

Every entry reverts one change inside a fresh benchmark process, after the engine is
imported and before the model loads, so "dreamlayer minus X" runs against "dreamlayer" in
interleaved pairs. They reach into the engine's internals on purpose: this is a measuring
tool, and it must fail loudly (AttributeError) when an internal it reverts changes. Nothing
here imports torch at module level: the engine must load first to set the process up.
"""
from __future__ import annotations

import math
from typing import Callable

SPIN = "passive-wait"  # undone by the process set-up itself: torch is imported before the engine
FIRST = "all-but-truncation"  # everything above at once: about the engine as first committed


def _keep_nothing() -> None:
    """glibc's defaults: big freed blocks go straight back to the kernel."""
    from dreamlayer.engine import runtime

    if runtime._LIBC is not None:
        runtime._LIBC.mallopt(runtime._M_MMAP_THRESHOLD, 128 * 1024)
        runtime._LIBC.mallopt(runtime._M_TRIM_THRESHOLD, 128 * 1024)


def _no_fold() -> None:
    """Batch norms stay separate modules (which also rules out the fused conv+ReLU6)."""
    from dreamlayer.engine.models.efficientnet_lite import EfficientNetLite

    EfficientNetLite.fold_batchnorm = lambda self: None


def _no_fusion() -> None:
    from dreamlayer.engine.models import efficientnet_lite

    efficientnet_lite._fusable = lambda x, weight: False


def _no_pointwise_matmul() -> None:
    """1x1 convolutions' input gradients through oneDNN's convolution backward, and each block's
    residual added after its projection, not in the same call."""
    from dreamlayer.engine.models import efficientnet_lite

    efficientnet_lite._pointwise = lambda weight, stride, groups: False


def _new_mask_buffers() -> None:
    """ReLU6's backward into a fresh buffer instead of over the saved output."""
    import torch

    from dreamlayer.engine.models import efficientnet_lite

    efficientnet_lite._mask_relu6 = lambda grad, y: torch.ops.aten.hardtanh_backward(grad, y, 0.0, 6.0)


def _nchw() -> None:
    import torch

    from dreamlayer.engine.models import network

    original = network._for_dreaming
    network._for_dreaming = lambda net, device: original(net, device).to(memory_format=torch.contiguous_format)


def _explicit_pad() -> None:
    """The reference code's SAME padding: an explicit pad before every convolution, fused or not."""
    from dreamlayer.engine.models.efficientnet_lite import SameConv2d, _ConvReLU6
    from dreamlayer.engine.models.same_conv import pad_same

    def fused_relu6(self, x):
        size = (math.ceil(x.shape[-2] / self.stride[0]), math.ceil(x.shape[-1] / self.stride[1]))
        x, padding = self._same(x)
        return _ConvReLU6.apply(x, self.weight, self.bias, self.stride, padding, self.groups, (0, 0), size)

    def same(self, x):
        return pad_same(x, self.weight.shape[-2:], self.stride), (0, 0)

    SameConv2d._same = same
    SameConv2d.fused_relu6 = fused_relu6


def _gradient_evaluation() -> None:
    """Before/after figures through forward and backward, as the first engine did."""
    from dreamlayer.engine import deepdream

    deepdream.evaluate = lambda backend, image, tile: deepdream.tiled_gradient(image, backend.gradient, tile)[1]


def _roll() -> None:
    """Roll the whole picture every step and roll the gradient back, as the first engine did."""
    import numpy as np

    from dreamlayer.engine import deepdream

    original = deepdream.tiled_gradient

    def tiled_gradient(image, gradient, tile, shift=(0, 0), lanes=None):
        grad, value = original(np.roll(image, shift, (2, 3)), gradient, tile, lanes=lanes)
        return np.roll(grad, (-shift[0], -shift[1]), (2, 3)), value

    deepdream.tiled_gradient = tiled_gradient


def _no_truncation() -> None:
    """The whole network forward every step, like the baseline (the backward stays the same)."""
    from dreamlayer.engine.models.network import LOGITS, DreamNet

    original = DreamNet.activations
    DreamNet.activations = lambda self, image, layers: original(self, image, set(layers) | {LOGITS})


def _lanes_on_every_core() -> None:
    """Each lane's torch operators on a team of all the cores, as before lanes kept to a share."""
    from dreamlayer.engine.backends import torch_backend

    torch_backend.take_lane_share = lambda: None


def _one_stream() -> None:
    """Tiles one at a time with the whole tile budget, as before lanes."""
    from dreamlayer.engine import lanes

    lanes.usable_cores = lambda: 1


ABLATIONS: dict[str, Callable[[], None]] = {
    SPIN: lambda: None,
    "keep-freed-memory": _keep_nothing,
    "bn-fold": _no_fold,
    "fusion": _no_fusion,
    "masks-in-place": _new_mask_buffers,
    "pointwise-matmul": _no_pointwise_matmul,
    "channels-last": _nchw,
    "padding-in-the-convolution": _explicit_pad,
    "forward-only-evaluation": _gradient_evaluation,
    "roll-free-tiles": _roll,
    "truncation": _no_truncation,
    "lanes": _one_stream,
    "lane-share": _lanes_on_every_core,
}


def _first_engine() -> None:
    for name, undo in ABLATIONS.items():
        if name not in (FIRST, "truncation"):
            undo()


ABLATIONS[FIRST] = _first_engine


def spins(name: str) -> bool:
    """Whether this ablation runs with OpenMP's default (spinning) wait policy."""
    return name in (SPIN, FIRST)
