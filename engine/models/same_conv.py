"""TensorFlow 'SAME' convolution as one torch operator (with its input gradient as another).

EfficientNet-Lite's weights were trained with SAME padding, which for a strided convolution
depends on the input size: lopsided for some sizes, even for others. Written out as a pad and a
convolution, a traced graph carries a padded copy of every strided layer's input and, backward,
two or three crops of its gradient. As one operator it reaches ONNX as ``Conv`` with
``auto_pad=SAME_UPPER`` (no copy) and a gradient with a single crop (``engine/onnx_export.py``
translates both). In torch it computes exactly what the pad and convolution did.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import torch
from torch.nn import functional as F


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """SAME's zeros before and after one axis of ``size``: ``total`` of them, the odd one at the end."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int]) -> torch.Tensor:
    """TensorFlow SAME as an explicit pad of the input (a copy)."""
    (top, bottom), (left, right) = (same_padding(x.shape[-2], kernel[0], stride[0]),
                                    same_padding(x.shape[-1], kernel[1], stride[1]))
    return F.pad(x, [left, right, top, bottom]) if top or bottom or left or right else x


@torch.library.custom_op("dreamlayer::conv_same", mutates_args=())
def conv_same(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: list[int],
              groups: int) -> torch.Tensor:
    """``conv2d`` of ``x`` with SAME padding (dilation 1)."""
    kernel = (weight.shape[2], weight.shape[3])
    return F.conv2d(pad_same(x, kernel, (stride[0], stride[1])), weight, bias, stride, 0, 1, groups)


@conv_same.register_fake
def _conv_same_shape(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: list[int],
                     groups: int) -> torch.Tensor:
    height, width = x.shape[2], x.shape[3]
    return x.new_empty(x.shape[0], weight.shape[0], (height + stride[0] - 1) // stride[0],
                       (width + stride[1] - 1) // stride[1])


@torch.library.custom_op("dreamlayer::conv_same_input_grad", mutates_args=())
def conv_same_input_grad(grad: torch.Tensor, size: list[int], weight: torch.Tensor, stride: list[int],
                         groups: int) -> torch.Tensor:
    """d conv_same / d x applied to ``grad``, for an input ``x`` of spatial ``size`` (the weights are
    frozen: no weight gradient). The size, not the input: exported, it is arithmetic on the
    picture's size, where a shape read off the activation made ONNX Runtime copy that activation
    out of its blocked layout only to read it."""
    kernel = (weight.shape[2], weight.shape[3])
    (top, bottom), (left, right) = (same_padding(size[0], kernel[0], stride[0]),
                                    same_padding(size[1], kernel[1], stride[1]))
    padded = grad.new_empty(grad.shape[0], weight.shape[1] * groups, size[0] + top + bottom, size[1] + left + right)
    full = torch.ops.aten.convolution_backward(grad, padded, weight, None, stride, [0, 0], [1, 1], False, [0, 0],
                                               groups, [True, False, False])[0]
    return full[:, :, top:top + size[0], left:left + size[1]].contiguous()


@conv_same_input_grad.register_fake
def _conv_same_input_grad_shape(grad: torch.Tensor, size: list[int], weight: torch.Tensor, stride: list[int],
                                groups: int) -> torch.Tensor:
    return grad.new_empty(grad.shape[0], weight.shape[1] * groups, size[0], size[1])


def _keep(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    x, weight, _bias, stride, groups = inputs
    ctx.save_for_backward(weight)
    ctx.geometry = (list(x.shape[2:]), stride, groups)


def _backward(ctx: Any, grad: torch.Tensor) -> tuple[Optional[torch.Tensor], None, None, None, None]:
    (weight,) = ctx.saved_tensors
    size, stride, groups = ctx.geometry
    return conv_same_input_grad(grad, size, weight, stride, groups), None, None, None, None


conv_same.register_autograd(_backward, setup_context=_keep)
