"""Objectives compiled for a network: a typed :mod:`dreamlayer.objective` value becomes a score.

Compiling checks the value against the network (layers, channels, classes), loads a guide's
features, and returns a new immutable :class:`Scorer`; the value itself is never changed, so
one value can be compiled for several networks.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Callable, Optional

import torch

from dreamlayer import objective as spec
from dreamlayer.objective import Objective
from dreamlayer.settings import DreamSettings

from .backends.base import requested
from .errors import DreamError
from .models.labels import find_class
from .models.network import LOGITS, DreamNet

Activations = dict[str, torch.Tensor]
Score = Callable[[Activations], torch.Tensor]
GuideLoader = Callable[[Path], torch.Tensor]

GUIDE_SIDE = 320  # guides are shrunk to about this size: features, not pixels, matter


@dataclass(frozen=True)
class Scorer:
    """A differentiable score over activations (higher: more of what was asked), and what it needs."""

    objective: Objective  # as compiled: class names resolved, guide layers filled in
    layers: frozenset[str]
    score: Score
    classes: tuple[int, ...] = ()  # class indices the objective raises, for reports

    @property
    def name(self) -> str:
        return self.objective.text()

    def __call__(self, acts: Activations) -> torch.Tensor:
        return self.score(acts)


def _check_channel(net: DreamNet, layer: str, channel: int) -> None:
    channels = net.shape(layer).channels
    if not 0 <= channel < channels:
        raise DreamError(f"channel {channel} out of range for {layer}: it has channels 0..{channels - 1}")


def _layer(name: str) -> Score:
    return lambda acts: acts[name].pow(2).mean()


def _channel(name: str, index: int) -> Score:
    return lambda acts: acts[name][:, index].mean()


def _neuron(name: str, index: int, x: float, y: float) -> Score:
    def score(acts: Activations) -> torch.Tensor:
        a = acts[name]
        h, w = a.shape[-2:]
        return a[:, index, round(y * (h - 1)), round(x * (w - 1))].mean()

    return score


def _guide(name: str, features: torch.Tensor) -> Score:
    """Each position of each picture is pulled towards the guide feature it already resembles most
    (the 2015 'controlling dreams' trick); the batch's pictures are scored alike and averaged."""
    def score(acts: Activations) -> torch.Tensor:
        a = acts[name].flatten(2)  # B x C x M
        best = torch.einsum("bcm,cn->bmn", a, features).argmax(dim=2)  # B x M: closest guide feature
        return (a * features[:, best].permute(1, 0, 2)).sum(1).mean()

    return score


def _compile_term(term: spec.Term, net: DreamNet, load_guide: Optional[GuideLoader]
                  ) -> tuple[spec.Term, str, Score, Optional[int]]:
    if isinstance(term, spec.Layer):
        net.check_layer(term.layer)
        return term, term.layer, _layer(term.layer), None
    if isinstance(term, (spec.Channel, spec.Neuron)):
        net.check_layer(term.layer)
        _check_channel(net, term.layer, term.channel)
        if isinstance(term, spec.Channel):
            return term, term.layer, _channel(term.layer, term.channel), None
        return term, term.layer, _neuron(term.layer, term.channel, term.x, term.y), None
    if isinstance(term, spec.ClassLogit):
        labels = net.spec.labels()
        index = find_class(term.label, labels)
        return spec.ClassLogit(labels[index]), LOGITS, lambda acts: acts[LOGITS][:, index].mean(), index
    if isinstance(term, spec.Guide):
        if load_guide is None:
            raise DreamError("guide objectives need a guide loader here")
        name = term.layer or net.spec.default_layer
        net.check_layer(name)
        with torch.no_grad():
            act = net.activations(load_guide(Path(term.path)).to(net.device), {name})[name]
        return spec.Guide(term.path, name), name, _guide(name, act[0].flatten(1)), None
    raise DreamError(f"unknown objective term {term!r}")


def compile_objective(objective: Objective, net: DreamNet, load_guide: Optional[GuideLoader] = None) -> Scorer:
    """``objective`` as a score over ``net``'s activations; a one-line DreamError for anything the
    network cannot do (no such layer, channel out of range, unknown class)."""
    if not objective.terms():
        raise DreamError(f"the objective {objective.text()!r} names no layer, channel, class or guide to dream of")
    compiled = [(weight, *_compile_term(term, net, load_guide)) for weight, term in objective.terms()]
    scores = [(weight, score) for weight, _, _, score, _ in compiled]
    constant = objective.constant

    def total(acts: Activations) -> torch.Tensor:
        value = reduce(operator.add, (weight * score(acts) for weight, score in scores))  # terms: never empty
        return value + constant if constant else value

    resolved = spec.Sum.of(tuple((weight, term) for weight, term, _, _, _ in compiled), constant)
    return Scorer(resolved, frozenset(layer for _, _, layer, _, _ in compiled), total,
                  tuple(index for _, _, _, _, index in compiled if index is not None))


def load_guide(path: Path) -> torch.Tensor:
    """A guide picture as a 1x3xHxW tensor, shrunk so its longer side is at most GUIDE_SIDE."""
    from .tensors import read_fitted

    return read_fitted(path, GUIDE_SIDE, enlarge=False)


def build_objective(settings: DreamSettings, net: DreamNet) -> Scorer:
    """The settings' objective expression, or amplification of the chosen (or default) layers."""
    return compile_objective(requested(settings, net.spec.default_layer), net, load_guide)
