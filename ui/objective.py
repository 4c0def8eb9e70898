"""The dialog's dream modes written as objective expressions, and a layer name for the result.

The dialog offers four plain choices; the engine understands one expression language
(see ``dreamlayer.objective``). This module is the one place that maps between them.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Optional

from dreamlayer.classes import UnknownClass, find_class
from dreamlayer.settings import DreamSettings

MODES = ("layer", "channel", "class", "guide")
MODE_TITLES = {
    "layer": "Amplify the layer",
    "channel": "One channel of the layer",
    "class": "A class (dog, tower, ...)",
    "guide": "Like a guide image",
}


def _quoted(text: str, what: str) -> str:
    quote = '"' if '"' not in text else "'"
    if quote in text:
        raise ValueError(f"the {what} cannot contain both kinds of quote mark")
    return f"{quote}{text}{quote}"


def objective_for(mode: str, layer: str, *, channel: int = 0, label: str = "", labels: Optional[list[str]] = None,
                  guide: str = "") -> Optional[str]:
    """The objective expression for a mode, or None when plain layer amplification is meant.

    Raises ValueError with a one-line message for choices the engine would reject anyway.
    """
    if mode == "layer":
        return None
    if mode == "channel":
        return f"{layer}:{int(channel)}"
    if mode == "class":
        label = label.strip()
        if not label:
            raise ValueError("type or pick a class to dream of")
        if labels is not None:
            try:
                label = labels[find_class(label, labels)]
            except UnknownClass as error:
                raise ValueError(str(error)) from None
        return f"class:{_quoted(label, 'class name')}"
    if mode == "guide":
        if not guide:
            raise ValueError("choose a guide image")
        if not os.path.isfile(guide):
            raise ValueError(f"the guide image {guide} does not exist")
        return f"guide:{_quoted(guide, 'guide path')}@{layer}"
    raise ValueError(f"unknown dream mode {mode!r}")


def with_objective(settings: DreamSettings, mode: str, layer: str, **choice: object) -> DreamSettings:
    """``settings`` aimed at ``layer`` in ``mode`` (see :func:`objective_for` for ``choice``)."""
    objective = objective_for(mode, layer, **choice)  # type: ignore[arg-type]
    layers = [] if mode == "class" else [layer]
    return replace(settings, layers=layers, objective=objective)


def result_name(settings: DreamSettings) -> str:
    """A layer name that says how the result was made, e.g. 'Dream efficientnet-lite0 blocks.9 seed 0'."""
    what = settings.objective or " + ".join(settings.layers) or "default layer"
    if what.startswith("guide:"):
        path, _, layer = what[len("guide:"):].rpartition("@")
        what = f"guide {os.path.basename(path.strip(chr(34) + chr(39)))} {layer}"
    elif what.startswith("class:"):
        what = "class " + what[len("class:"):].strip("\"'")
    return f"Dream {settings.model} {what} seed {settings.seed}"
