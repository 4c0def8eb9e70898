"""The objective language and the objectives it builds, on the real default model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import small_photo
from dreamlayer.engine import DreamError, dream
from dreamlayer.engine.objectives import load_guide
from dreamlayer.engine.models import registry
from dreamlayer.engine.models.labels import find_class, imagenet_labels
from dreamlayer.engine.objectives import compile_objective
from dreamlayer.engine.parse import parse
from dreamlayer.settings import DreamSettings

pytestmark = pytest.mark.numeric


def compiled(text: str, net):
    return compile_objective(parse(text), net, load_guide)


@pytest.fixture(scope="module")
def net():
    return registry.load("efficientnet-lite0", torch.device("cpu"))


def test_issue_example_parses_to_weighted_terms(net):
    objective = compiled("0.5*blocks.9 + blocks.12:17 - 0.2*blocks.5 + class:goldfish", net)
    assert [(w, t.text()) for w, t in objective.objective.terms()] == [
        (0.5, "blocks.9"), (1.0, "blocks.12:17"), (-0.2, "blocks.5"), (1.0, "class:goldfish")]
    assert objective.layers == {"blocks.9", "blocks.12", "blocks.5", "logits"}
    assert objective.classes == (1,)


def test_composition_matches_hand_computed_value(net):
    x = torch.rand(1, 3, 64, 64)
    acts = net.activations(x, {"blocks.5", "blocks.9", "logits"})
    combined = compiled("2*blocks.9 - blocks.5:3 + class:1", net)
    expected = 2 * acts["blocks.9"].pow(2).mean() - acts["blocks.5"][:, 3].mean() + acts["logits"][0, 1]
    assert torch.allclose(combined(acts), expected)


def test_neuron_reads_one_position(net):
    acts = net.activations(torch.rand(1, 3, 64, 64), {"blocks.9"})
    objective = compiled("blocks.9:7@0,1", net)
    assert objective(acts) == acts["blocks.9"][0, 7, -1, 0]


def test_the_engine_reports_a_bad_expression_as_its_own_one_line_error():
    """The grammar's cases are in test_objective_value; here only that the engine's callers get a DreamError."""
    with pytest.raises(DreamError, match="expected a layer name") as info:
        parse("blocks.9 +")
    assert "\n" not in str(info.value) and "column" in str(info.value)


def test_unknown_layer_names_the_valid_ones(net):
    with pytest.raises(DreamError, match=r"no layer 'blocks.99'; choose one of: stem, blocks.0, .*head"):
        compiled("blocks.99", net)


@pytest.mark.parametrize("name", ["tabby", "tabby cat", "Tabby Cat", "281", "'tabby'"])
def test_class_names_are_forgiving(name):
    assert find_class(name, imagenet_labels()) == 281


def test_unknown_and_ambiguous_classes_list_nearest():
    with pytest.raises(DreamError, match=r"unknown class 'goldfsh'; nearest: goldfish \(1\)"):
        find_class("goldfsh", imagenet_labels())
    with pytest.raises(DreamError, match=r"'cat' is ambiguous: tiger cat \(282\), Persian cat"):
        find_class("cat", imagenet_labels())
    with pytest.raises(DreamError, match="out of range"):
        find_class("1000", imagenet_labels())


def test_class_objective_raises_that_class(net):
    image = small_photo(128, 96).astype(np.float32) / 255
    goldfish = find_class("goldfish", imagenet_labels())

    def probability(pixels: np.ndarray) -> float:
        x = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)[None]
        with torch.no_grad():
            return float(net.activations(x, {"logits"})["logits"].softmax(1)[0, goldfish])

    result = dream(image, DreamSettings(objective="class:goldfish", octaves=1, steps=8, step_size=0.01))
    assert probability(result.image) > 10 * probability(image)


def test_guide_pulls_towards_the_guide(tmp_path: Path):
    guide = tmp_path / "guide.png"
    Image.fromarray(small_photo(64, 48)[::-1].copy()).save(guide)
    result = dream(small_photo(96, 72).astype(np.float32) / 255,
                   DreamSettings(objective=f'guide:"{guide}"@blocks.6', octaves=1, steps=4, step_size=0.01,
                                         jitter=4))  # jitter scaled to the tiny picture
    assert result.layers == ["blocks.6"]
    assert result.objective_after > 1.2 * result.objective_before


def test_compiling_resolves_names_without_changing_the_value(net):
    value = parse("class:281 + blocks.9")
    first, second = compile_objective(value, net), compile_objective(value, net)
    assert value.text() == "class:281 + blocks.9"
    assert first.name == second.name == 'class:tabby + blocks.9'
    assert first.objective == second.objective


def test_a_guide_scores_every_picture_of_a_batch(net, tmp_path: Path):
    guide_path = tmp_path / "guide.png"
    Image.fromarray(small_photo(64, 48)).save(guide_path)
    scorer = compiled(f'guide:"{guide_path}"@blocks.6', net)
    pictures = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    each = [float(scorer(net.activations(p[None], scorer.layers))) for p in pictures]
    both = float(scorer(net.activations(pictures, scorer.layers)))
    assert both == pytest.approx(sum(each) / 2, rel=1e-4)
    assert abs(each[0] - each[1]) > 1e-3 * abs(each[0])  # so scoring item 0 alone would be caught


def test_a_channel_out_of_range_names_the_valid_ones(net):
    with pytest.raises(DreamError, match=r"channel 999 out of range for blocks.9: it has channels 0..111"):
        compiled("blocks.9:999", net)


def test_an_objective_of_only_a_constant_is_refused(net):
    with pytest.raises(DreamError, match="names no layer"):
        compiled("2", net)
