"""What the dialog writes is what the engine reads: every objective the dialog can make, through
the settings' text and into the engine, on the real default model."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dreamlayer.engine.objectives import build_objective
from dreamlayer.engine.models import registry
from dreamlayer.objective import parse
from dreamlayer.settings import DreamSettings
from dreamlayer.ui.objective import MODES, objective_for, with_objective

pytestmark = pytest.mark.numeric
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cat.jpg"


@pytest.fixture(scope="module")
def net():
    return registry.load("efficientnet-lite0", torch.device("cpu"))


def _choices(net) -> list[tuple[str, str, dict]]:
    """Every mode over every layer the dialog lists, with the edge cases of each choice."""
    labels = net.spec.labels()
    made = []
    for info in registry.layer_infos(net.spec.name):
        made += [("layer", info.name, {}), ("channel", info.name, {"channel": 0}),
                 ("channel", info.name, {"channel": info.channels - 1}),
                 ("guide", info.name, {"guide": str(EXAMPLE)})]
    for typed in ("tabby", "Tabby Cat", "281", "goldfish", labels[-1], "great white shark"):
        made.append(("class", "", {"label": typed, "labels": labels}))
    return made


def test_every_objective_the_dialog_makes_reaches_the_engine_unchanged(net):
    choices = _choices(net)
    assert {mode for mode, _, _ in choices} == set(MODES)
    for mode, layer, choice in choices:
        settings = with_objective(DreamSettings(), mode, layer, **choice)
        value = objective_for(mode, layer, **choice)
        if value is not None:
            assert parse(settings.objective) == value, (mode, layer, choice)
        scorer = build_objective(settings, net)
        if mode == "class":
            index = net.spec.labels().index(value.label)
            assert scorer.classes == (index,) and scorer.layers == {"logits"}
        else:
            assert scorer.layers == {layer}, (mode, layer, choice)
        assert scorer.objective == (value or parse(layer)), (mode, layer, choice)
