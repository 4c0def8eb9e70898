"""The dialog's dream modes as objective values, and a layer name for the result.

The dialog offers four plain choices; each becomes a typed :mod:`dreamlayer.objective` value,
whose canonical text is what the settings carry to the engine. This module is the one place
that maps between them.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Optional

from dreamlayer import objective as objectives
from dreamlayer.classes import UnknownClass, find_class
from dreamlayer.objective import Objective, ObjectiveError
from dreamlayer.settings import DreamSettings

MODES = ("layer", "channel", "class", "guide")
MODE_TITLES = {
    "layer": "Amplify the layer",
    "channel": "One channel of the layer",
    "class": "A class (dog, tower, ...)",
    "guide": "Like a guide image",
}


def objective_for(mode: str, layer: str, *, channel: int = 0, label: str = "", labels: Optional[list[str]] = None,
                  guide: str = "") -> Optional[Objective]:
    """The objective for a mode, or None when plain layer amplification is meant.

    Raises ValueError with a one-line message for choices the engine would reject anyway.
    """
    if mode == "layer":
        return None
    if mode == "channel":
        return objectives.channel(layer, int(channel))
    if mode == "class":
        label = label.strip()
        if not label:
            raise ValueError("type or pick a class to dream of")
        if labels is not None:
            try:
                label = labels[find_class(label, labels)]
            except UnknownClass as error:
                raise ValueError(str(error)) from None
        return objectives.class_logit(label)
    if mode == "guide":
        if not guide:
            raise ValueError("choose a guide image")
        if not os.path.isfile(guide):
            raise ValueError(f"the guide image {guide} does not exist")
        return objectives.guide(guide, layer)
    raise ValueError(f"unknown dream mode {mode!r}")


def with_objective(settings: DreamSettings, mode: str, layer: str, **choice: object) -> DreamSettings:
    """``settings`` aimed at ``layer`` in ``mode`` (see :func:`objective_for` for ``choice``)."""
    objective = objective_for(mode, layer, **choice)  # type: ignore[arg-type]
    layers = [] if mode == "class" else [layer]
    return replace(settings, layers=layers, objective=None if objective is None else objective.text())


def result_name(settings: DreamSettings) -> str:
    """A layer name that says how the result was made, e.g. 'Dream efficientnet-lite0 blocks.9 seed 0'."""
    if settings.objective:
        try:
            what = objectives.parse(settings.objective).describe()
        except ObjectiveError:
            what = settings.objective
    else:
        what = " + ".join(settings.layers) or "default layer"
    return f"Dream {settings.model} {what} seed {settings.seed}"
