"""The SAME convolution operator (what export-onnx traces) against an explicit pad and convolution."""
import pytest
import torch
from torch.nn import functional as F

from dreamlayer.engine.models.same_conv import conv_same, pad_same


@pytest.mark.numeric
@pytest.mark.parametrize("size", [(13, 17), (14, 18), (13, 18), (9, 9)])
@pytest.mark.parametrize("kernel,groups,channels", [(3, 8, 8), (5, 8, 8), (3, 1, 3)])
def test_conv_same_and_its_input_gradient_match_pad_then_convolve(size, kernel, groups, channels):
    generator = torch.Generator().manual_seed(sum(size) + kernel)
    weight = torch.randn(8, channels // groups, kernel, kernel, generator=generator)
    bias = torch.randn(8, generator=generator)
    x = torch.randn(1, channels, *size, generator=generator, requires_grad=True)
    reference = F.conv2d(pad_same(x, (kernel, kernel), (2, 2)), weight, bias, 2, 0, 1, groups)
    result = conv_same(x, weight, bias, [2, 2], groups)
    assert result.shape == reference.shape == (1, 8, (size[0] + 1) // 2, (size[1] + 1) // 2)
    torch.testing.assert_close(result, reference)
    upstream = torch.randn(reference.shape, generator=generator)
    (expected,) = torch.autograd.grad(reference, x, upstream)
    (got,) = torch.autograd.grad(conv_same(x, weight, bias, [2, 2], groups), x, upstream)
    torch.testing.assert_close(got, expected)
