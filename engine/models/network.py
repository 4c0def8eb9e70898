"""A loaded network that returns the activations of named layers, computing no deeper than needed."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import AbstractSet

import torch
from torch import nn

from ..errors import DreamError
from .spec import ModelSpec

LOGITS = "logits"  # pseudo-layer: the classifier output, needs the whole network


class _Enough(Exception):
    """Raised from a forward hook once every wanted layer is captured: later layers are skipped."""


@dataclass
class _Capture:
    """What one forward wants from the hooks, and what they caught."""

    wanted: set[str]
    stop_early: bool
    caught: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerShape:
    channels: int
    stride: int


def _for_dreaming(net: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode with frozen weights, laid out for speed (each choice measured: ``bench --ablations``).

    Networks that offer ``fold_batchnorm()`` merge their norms into the convolutions (exact for
    frozen weights). On the CPU, channels-last weights make oneDNN run every convolution, the
    depthwise ones included, in its blocked NHWC kernels instead of reordering on each call.
    """
    net = net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    fold = getattr(net, "fold_batchnorm", None)
    if callable(fold):
        fold()
    net = net.to(device)
    if device.type == "cpu":
        net = net.to(memory_format=torch.channels_last)
    return net


class DreamNet:
    """A network in eval mode with frozen weights, addressed by the registry's layer names."""

    def __init__(self, spec: ModelSpec, net: nn.Module, device: torch.device) -> None:
        self.spec = spec
        self.device = device
        self.net = _for_dreaming(net, device)
        modules = dict(self.net.named_modules())
        self._modules = {layer.name: modules[layer.module] for layer in spec.layers}
        self._shapes: dict[str, LayerShape] = {}
        # Forwards run in several threads at once (tiles in parallel), so each hook reads its own
        # thread's capture; hooks stay installed, since adding one while another thread's forward
        # walks the module's hooks would break that walk.
        self._capture = threading.local()
        self._hooked: set[str] = set()
        self._hook_lock = threading.Lock()

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.spec.layers]

    def check_layer(self, name: str) -> None:
        if name != LOGITS and name not in self._modules:
            raise DreamError(f"model {self.spec.name} has no layer {name!r}; choose one of: "
                             f"{', '.join(self.layer_names)} (or {LOGITS})")

    def _hook(self, name: str) -> None:
        def hook(_module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            capture = getattr(self._capture, "current", None)
            if capture is None or name not in capture.wanted:
                return
            capture.caught[name] = output
            if capture.stop_early and capture.wanted <= capture.caught.keys():
                raise _Enough

        with self._hook_lock:
            if name not in self._hooked:
                self._modules[name].register_forward_hook(hook)
                self._hooked.add(name)

    def activations(self, image: torch.Tensor, layers: AbstractSet[str]) -> dict[str, torch.Tensor]:
        """Activations for ``layers`` given an RGB batch in [0, 1]; the forward stops at the deepest one.
        Safe to call from several threads at once."""
        for name in layers:
            self.check_layer(name)
        capture = _Capture(set(layers) - {LOGITS}, LOGITS not in layers)
        for name in capture.wanted:
            self._hook(name)
        self._capture.current = capture
        try:
            output = self.net(self.spec.preprocess(image))
            if LOGITS in layers:
                capture.caught[LOGITS] = output
        except _Enough:
            pass
        finally:
            self._capture.current = None
        return capture.caught

    def shape(self, name: str) -> LayerShape:
        """Channels and output stride of a layer, measured once on a probe image."""
        self.check_layer(name)
        if name not in self._shapes:
            size = self.spec.input_size
            with torch.no_grad():
                act = self.activations(torch.zeros(1, 3, size, size, device=self.device), {name})[name]
            stride = 1 if name == LOGITS else max(1, round(size / act.shape[-1]))
            self._shapes[name] = LayerShape(act.shape[1], stride)
        return self._shapes[name]


def build_network(spec: ModelSpec, weights: Path, device: torch.device) -> DreamNet:
    """Build the architecture and load its weights without running pickled code."""
    if weights.stat().st_size == 0:
        raise DreamError(f"cannot load weights {weights}: the file is empty")
    net = spec.build()
    if spec.weights_inside:
        return DreamNet(spec, net, device)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt or foreign file: torch says KeyError: 544502645 or the like
        raise DreamError(f"cannot load weights {weights}: it is not a PyTorch weight file, or a damaged one "
                         f"({exc.__class__.__name__})") from exc
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise DreamError(f"weights {weights} do not fit {spec.name}: {str(exc).splitlines()[0]}") from exc
    spec.finalize(net)
    return DreamNet(spec, net, device)
