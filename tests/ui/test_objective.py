"""Dialog modes to objective expressions, and the names results get."""
import pytest

from dreamlayer.settings import DreamSettings
from dreamlayer.ui.objective import objective_for, result_name, with_objective


def test_layer_mode_amplifies_the_layer_without_an_expression():
    settings = with_objective(DreamSettings(), "layer", "blocks.9")
    assert settings.layers == ["blocks.9"] and settings.objective is None


def test_channel_and_class_modes():
    assert objective_for("channel", "blocks.5", channel=17) == "blocks.5:17"
    assert objective_for("class", "blocks.5", label="tabby cat", labels=["tabby cat"]) == 'class:"tabby cat"'
    assert objective_for("class", "x", label='say "cheese"') == "class:'say \"cheese\"'"
    assert with_objective(DreamSettings(), "class", "blocks.5", label="tabby").layers == []


def test_guide_mode_names_the_file_and_the_layer(tmp_path):
    guide = tmp_path / "sky.png"
    guide.write_bytes(b"not checked here")
    assert objective_for("guide", "blocks.6", guide=str(guide)) == f'guide:"{guide}"@blocks.6'


@pytest.mark.parametrize("mode, choice, message", [
    ("class", {"label": " "}, "type or pick a class"),
    ("class", {"label": "unicorn", "labels": ["tabby"]}, "no class called 'unicorn'"),
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
