"""Dream objectives: what to make the network see more of. They compose with +, - and *.

An objective names the layers it reads, is prepared once against the loaded network
(validating channels, resolving class names, computing guide features) and then maps
a dict of activations to a scalar to maximise.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch

from .errors import DreamError
from .models.labels import find_class
from .models.network import LOGITS, DreamNet

Activations = dict[str, torch.Tensor]


class Objective:
    """A differentiable score over activations; higher means 'more of what we asked for'."""

    def __init__(self, layers: set[str], name: str) -> None:
        self.layers = set(layers)
        self.name = name

    def prepare(self, net: DreamNet) -> None:
        """Check against the network and precompute what is needed; called once per dream."""
        for layer in self.layers:
            net.check_layer(layer)

    def __call__(self, acts: Activations) -> torch.Tensor:
        raise NotImplementedError

    def __add__(self, other: "Objective") -> "Objective":
        return _Sum([(1.0, self), (1.0, other)])

    def __sub__(self, other: "Objective") -> "Objective":
        return _Sum([(1.0, self), (-1.0, other)])

    def __neg__(self) -> "Objective":
        return _Sum([(-1.0, self)])

    def __mul__(self, weight: float) -> "Objective":
        return _Sum([(float(weight), self)])

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return self.name


class _Sum(Objective):
    def __init__(self, terms: list[tuple[float, Objective]]) -> None:
        flat: list[tuple[float, Objective]] = []
        for weight, term in terms:
            if isinstance(term, _Sum):
                flat += [(weight * w, t) for w, t in term.terms]
            else:
                flat.append((weight, term))
        self.terms = flat
        name = " ".join(f"{'-' if w < 0 else '+'} {'' if abs(w) == 1 else f'{abs(w):g}*'}{t.name}"
                        for w, t in flat)
        super().__init__(set().union(*(t.layers for _, t in flat)), name.removeprefix("+ "))

    def prepare(self, net: DreamNet) -> None:
        for _, term in self.terms:
            term.prepare(net)
        self.layers = set().union(*(t.layers for _, t in self.terms))  # guides pick their layer late

    def __call__(self, acts: Activations) -> torch.Tensor:
        return sum(w * t(acts) for w, t in self.terms)


class _Simple(Objective):
    def __init__(self, layer: str, name: str, score: Callable[[torch.Tensor], torch.Tensor],
                 channel: Optional[int] = None) -> None:
        super().__init__({layer}, name)
        self.layer, self.score, self.channel = layer, score, channel

    def prepare(self, net: DreamNet) -> None:
        super().prepare(net)
        if self.channel is not None:
            channels = net.shape(self.layer).channels
            if not 0 <= self.channel < channels:
                raise DreamError(f"channel {self.channel} out of range for {self.layer}: "
                                 f"it has channels 0..{channels - 1}")

    def __call__(self, acts: Activations) -> torch.Tensor:
        return self.score(acts[self.layer])


def layer(name: str) -> Objective:
    """Amplify a whole layer: 'whatever you see there, I want more of it' (mean squared activation)."""
    return _Simple(name, name, lambda a: a.pow(2).mean())


def channel(name: str, index: int) -> Objective:
    """Excite one feature channel everywhere in the image."""
    return _Simple(name, f"{name}:{index}", lambda a: a[:, index].mean(), channel=index)


def neuron(name: str, index: int, x: float = 0.5, y: float = 0.5) -> Objective:
    """Excite one channel at one position, given as fractions of the layer's width and height."""
    def score(a: torch.Tensor) -> torch.Tensor:
        h, w = a.shape[-2:]
        return a[:, index, round(y * (h - 1)), round(x * (w - 1))].mean()

    return _Simple(name, f"{name}:{index}@{x:g},{y:g}", score, channel=index)


class _ClassLogit(Objective):
    def __init__(self, query: str) -> None:
        super().__init__({LOGITS}, f"class:{query}")
        self.query = query
        self.index: Optional[int] = None

    def prepare(self, net: DreamNet) -> None:
        self.index = find_class(self.query, net.spec.labels())
        self.name = f"class:{net.spec.labels()[self.index]}"

    def __call__(self, acts: Activations) -> torch.Tensor:
        return acts[LOGITS][:, self.index].mean()


def class_logit(query: str | int) -> Objective:
    """Raise the logit of an ImageNet class, given by index or (forgiving) name."""
    return _ClassLogit(str(query))


class _Guide(Objective):
    """Make the image see what a guide picture shows: each position is pulled towards the guide
    feature it already resembles most (the 2015 'controlling dreams' trick)."""

    def __init__(self, picture: torch.Tensor, layer_name: Optional[str], label: str) -> None:
        super().__init__(set(), f"guide:{label}")
        self.picture = picture
        self.layer = layer_name
        self.features: Optional[torch.Tensor] = None

    def prepare(self, net: DreamNet) -> None:
        self.layer = self.layer or net.spec.default_layer
        self.layers = {self.layer}
        super().prepare(net)
        with torch.no_grad():
            act = net.activations(self.picture.to(net.device), {self.layer})[self.layer]
        self.features = act[0].flatten(1)  # C x N

    def __call__(self, acts: Activations) -> torch.Tensor:
        a = acts[self.layer][0].flatten(1)  # C x M
        best = (a.t() @ self.features).argmax(dim=1)  # for each position, the closest guide feature
        return (a * self.features[:, best]).sum(0).mean()


def guide(picture: torch.Tensor, layer_name: Optional[str] = None, label: str = "image") -> Objective:
    """A guide image (1x3xHxW in [0, 1]) whose features the dream should take on."""
    return _Guide(picture, layer_name, label)
