"""The engine's fast EfficientNet-Lite (folded norms, fused ReLU6, SAME by cropping, masks written
in place, channels-last) computes what the plain network computes, gradients included."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from conftest import small_photo
from dreamlayer.engine.models import registry
from dreamlayer.engine.models.efficientnet_lite import SameConv2d, _fold
from dreamlayer.engine.models.network import DreamNet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is a folder of the checkout, not a package
from bench import baseline  # noqa: E402

pytestmark = pytest.mark.numeric

MODEL = "efficientnet-lite0"
LAYER = "blocks.9"


def plain_network() -> tuple[torch.nn.Module, torch.nn.Module]:
    """The benchmark baseline's network (norms unfolded, explicit SAME pads, NCHW), and its LAYER module."""
    net = baseline.load_plain(MODEL)
    spec = registry.get(MODEL)
    module = dict(net.named_modules())[next(d.module for d in spec.layers if d.name == LAYER)]
    return net, module


def picture(width: int, height: int) -> torch.Tensor:
    pixels = torch.tensor(small_photo(width, height)).float().div(255)
    return pixels.permute(2, 0, 1)[None].contiguous()


@pytest.mark.parametrize("size", [(96, 72), (131, 97)])  # 131x97: odd sides make SAME lopsided
def test_gradient_matches_the_plain_network(size):
    """The same gradient to float error, except near ReLU6's kinks.

    Where a ReLU6 input lies within rounding of 0 or 6, the two networks (which round differently)
    may pass or block that unit's gradient: both are right, and the difference is local. Measured:
    at most 1e-5 of the largest value anywhere on AVX-512 and AVX2; on the SSE4.1 path one unit
    flips at 131x97, so 0.7 % of the pixels differ by more than 1e-4 and the whole by 2e-3 (L2).
    A wrong bound is everywhere: the mask up to 5.99 instead of 6 moves 40-77 % of the pixels and
    the whole by 2.6e-2; the mask passing saturated units, or the clamp at 5.9 or 6.05, by 0.15-0.7.
    """
    fast = registry.load(MODEL, torch.device("cpu"))
    plain, module = plain_network()
    captured = {}
    module.register_forward_hook(lambda _m, _i, out: captured.__setitem__("act", out))
    image = picture(*size)

    x_plain = image.clone().requires_grad_(True)
    plain(registry.get(MODEL).preprocess(x_plain))
    captured["act"].pow(2).mean().backward()

    x_fast = image.clone().requires_grad_(True)
    fast.activations(x_fast, {LAYER})[LAYER].pow(2).mean().backward()

    assert x_fast.grad.abs().max() > 0
    difference = x_fast.grad - x_plain.grad
    apart = (difference.abs().amax(1) > 1e-4 * x_plain.grad.abs().max()).float().mean()
    assert apart < 0.05, f"{apart:.1%} of the pixels' gradients differ by more than 1e-4 of the largest value"
    whole = difference.norm() / x_plain.grad.norm()
    assert whole < 1e-2, f"fast network's gradient is off by {whole:.2e} (relative L2)"


def test_a_second_backward_through_the_fused_layers_is_refused():
    """The first backward reuses the saved activations' memory, so a second would be wrong."""
    fast: DreamNet = registry.load(MODEL, torch.device("cpu"))
    x = picture(64, 48).requires_grad_(True)
    value = fast.activations(x, {LAYER})[LAYER].pow(2).mean()
    value.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        value.backward()


def test_a_batch_norm_without_running_statistics_is_not_folded():
    """It normalises each batch by that batch's statistics: nothing fixed to fold into the weights."""
    conv = SameConv2d(3, 4, 3, bias=False)
    norm = nn.BatchNorm2d(4, track_running_stats=False).eval()
    weight = conv.weight.detach().clone()
    assert _fold(conv, norm) is norm
    assert torch.equal(conv.weight, weight) and conv.bias is None
