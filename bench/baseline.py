"""The comparison: DeepDream the way popular PyTorch implementations write it.

A forward hook on the chosen layer, the whole network forward every step (the hook only
records; nothing stops the forward), float32, the NCHW layout, no tiling, and the network
as its reference code runs it: batch norms as separate modules and TensorFlow 'SAME'
padding done as an explicit pad before every convolution. Same octaves, steps, step size,
jitter sequence (seeded), gradient normalisation and objective as dreamlayer, so the
outputs are comparable.

Import this module before anything from ``dreamlayer.engine``: like any such script it
imports torch first, so OpenMP keeps its default (spinning) wait policy.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dreamlayer.engine.models import registry
from dreamlayer.engine.models.efficientnet_lite import SameConv2d
from dreamlayer.engine.models.same_conv import pad_same
from dreamlayer.engine.octaves import schedule
from dreamlayer.engine.tensors import resize
from dreamlayer.settings import DreamSettings


class PaddedSameConv2d(SameConv2d):
    """The reference implementation's SAME convolution: pad explicitly, then convolve."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = pad_same(x, self.weight.shape[-2:], self.stride)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def load_plain(model: str) -> nn.Module:
    """The network with its weights, in eval mode, frozen, nothing else changed."""
    spec = registry.get(model)
    net = spec.build()
    net.load_state_dict(torch.load(registry.weights_path(spec), map_location="cpu", weights_only=True))
    spec.finalize(net)
    for module in net.modules():
        if isinstance(module, SameConv2d):
            module.__class__ = PaddedSameConv2d
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def baseline_dream(image: np.ndarray, settings: DreamSettings, net: nn.Module, layer: str | None = None,
                   class_index: int | None = None) -> np.ndarray:
    """Dream on an HxWx3 float32 image: amplify ``layer`` (mean square) or raise a class logit."""
    spec = registry.get(settings.model)
    modules = dict(net.named_modules())
    captured: dict[str, torch.Tensor] = {}
    hook = None
    if layer is not None:
        target = modules[next(d.module for d in spec.layers if d.name == layer)]
        hook = target.register_forward_hook(lambda _m, _i, out: captured.__setitem__("act", out))
    base = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    generator = torch.Generator().manual_seed(settings.seed)
    sizes = schedule(base.shape[-2], base.shape[-1], settings)
    detail = torch.zeros_like(resize(base, sizes[0]))
    picture = base
    try:
        for size in sizes:
            octave_base = resize(base, size)
            picture = octave_base + resize(detail, size)
            for _ in range(settings.steps):
                dy, dx = (torch.randint(-settings.jitter, settings.jitter + 1, (2,), generator=generator).tolist()
                          if settings.jitter else (0, 0))
                x = torch.roll(picture, (dy, dx), (2, 3)).detach().requires_grad_(True)
                logits = net(spec.preprocess(x))
                loss = captured["act"].pow(2).mean() if layer is not None else logits[:, class_index].mean()
                loss.backward()
                grad = torch.roll(x.grad, (-dy, -dx), (2, 3))
                grad = grad / (grad.abs().mean() + 1e-8)
                picture = (picture + settings.step_size * grad).clamp(0, 1)
            detail = picture - octave_base
    finally:
        if hook is not None:
            hook.remove()
    return picture[0].permute(1, 2, 0).numpy()


def main(argv: list[str] | None = None) -> int:
    """The plain script run as its own process, as its users run it: ``python -m bench.baseline IN -o OUT``
    dreams IN with dreamlayer's default settings (the README example's) and writes OUT."""
    import argparse

    from PIL import Image

    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=main.__doc__)
    parser.add_argument("input", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = DreamSettings()
    image = np.asarray(Image.open(args.input).convert("RGB"), dtype=np.float32) / 255
    out = baseline_dream(image, settings, load_plain(settings.model), registry.default_layer(settings.model))
    Image.fromarray(np.round(out * 255).astype(np.uint8)).save(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
