"""Dialog modes to objective expressions, and the names results get."""
import pytest

from dreamlayer.objective import Channel, ClassLogit, Guide
from dreamlayer.settings import DreamSettings
from dreamlayer.ui.objective import objective_for, result_name, with_objective


def test_layer_mode_amplifies_the_layer_without_an_expression():
    settings = with_objective(DreamSettings(), "layer", "blocks.9")
    assert settings.layers == ["blocks.9"] and settings.objective is None


def test_channel_and_class_modes():
    assert objective_for("channel", "blocks.5", channel=17) == Channel("blocks.5", 17)
    assert objective_for("class", "blocks.5", label="tabby cat", labels=["tabby cat"]) == ClassLogit("tabby cat")
    assert with_objective(DreamSettings(), "class", "x", label='say "cheese"').objective == "class:'say \"cheese\"'"
    assert with_objective(DreamSettings(), "class", "blocks.5", label="tabby").layers == []


@pytest.mark.parametrize("typed", ["tabby", "Tabby", "tabby cat", " TABBY_CAT ", "281"])
def test_class_names_are_as_forgiving_as_on_the_command_line(typed):
    labels = [f"class {n}" for n in range(281)] + ["tabby", "tiger cat", "Persian cat"]
    assert objective_for("class", "x", label=typed, labels=labels) == ClassLogit("tabby")


def test_an_unknown_class_names_the_nearest_ones():
    with pytest.raises(ValueError, match=r"unknown class 'goldfsh'; nearest: goldfish \(1\)"):
        objective_for("class", "x", label="goldfsh", labels=["tench", "goldfish", "great white shark"])
    with pytest.raises(ValueError, match=r"'cat' is ambiguous: tiger cat \(0\), Persian cat \(1\)"):
        objective_for("class", "x", label="cat", labels=["tiger cat", "Persian cat"])


def test_the_engine_and_the_dialog_share_one_matcher():
    from dreamlayer import classes
    from dreamlayer.engine.models import labels

    assert labels.classes is classes
    assert not hasattr(labels, "_norm") and "difflib" not in vars(labels)


def test_guide_mode_names_the_file_and_the_layer(tmp_path):
    guide = tmp_path / "sky.png"
    guide.write_bytes(b"not checked here")
    assert objective_for("guide", "blocks.6", guide=str(guide)) == Guide(str(guide), "blocks.6")


@pytest.mark.parametrize("mode, choice, message", [
    ("class", {"label": " "}, "type or pick a class"),
    ("class", {"label": "unicorn", "labels": ["tabby"]}, "unknown class 'unicorn'"),
    ("guide", {"guide": ""}, "choose a guide image"),
    ("guide", {"guide": "/no/such/picture.png"}, "does not exist"),
    ("paint", {}, "unknown dream mode"),
])
def test_incomplete_choices_are_one_line_errors(mode, choice, message):
    with pytest.raises(ValueError, match=message):
        objective_for(mode, "blocks.9", **choice)


def test_result_names_say_how_the_layer_was_made():
    assert result_name(DreamSettings(model="m", layers=["blocks.9"], seed=3)) == "Dream m blocks.9 seed 3"
    assert result_name(DreamSettings(model="m", objective='class:"tabby"')) == "Dream m class tabby seed 0"
    assert result_name(DreamSettings(model="m", objective='guide:"/a/b/sky.png"@blocks.6')) == \
        "Dream m guide sky.png blocks.6 seed 0"
    assert result_name(DreamSettings(model="m")) == "Dream m default layer seed 0"
