"""The typed objective value: one parser, one canonical text, algebra that composes."""
from __future__ import annotations

import pytest

from dreamlayer.objective import (Channel, ClassLogit, Guide, Layer, Neuron, ObjectiveError, Sum, channel,
                                  class_logit, guide, layer, neuron, parse)

EXPRESSIONS = [
    "blocks.9", "blocks.12:17", "blocks.12:17@0.5,0.25", "blocks.3:0@0,1", "class:goldfish", "class:1",
    'class:"tabby cat"', "class:\"it's\"", "class:'say \"hi\"'", 'guide:"sky.jpg"', 'guide:"/a b/sky.jpg"@blocks.6',
    "0.5*blocks.9 - 0.2*blocks.5", "-blocks.9", "-2*blocks.9 + blocks.1 - class:tench", "blocks.9 + 1",
    "blocks.9 - 0.25", "1e-07*blocks.9", "0*blocks.9", "0.1*blocks.9 + 0.2*blocks.9",
    '0.5*blocks.9 + blocks.12:17@0.1,0.9 - 0.2*blocks.5 + class:goldfish + guide:"x.png"@blocks.4',
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_canonical_text_reads_back_as_the_same_value(text):
    value = parse(text)
    assert parse(value.text()) == value
    assert parse(value.text()).text() == value.text()


def test_spellings_of_one_objective_meet_in_one_value():
    assert parse("blocks.9 * 0.5") == parse("0.5*blocks.9") == parse(" 0.5 * blocks.9 ") == 0.5 * layer("blocks.9")
    assert parse("class:tench") == parse('class:"tench"') == class_logit("tench")
    assert parse("guide:sky.jpg@blocks.6") == parse('guide:"sky.jpg"@blocks.6') == guide("sky.jpg", "blocks.6")
    assert parse("blocks.2:3@0.5,0.5") == neuron("blocks.2", 3) == Neuron("blocks.2", 3, 0.5, 0.5)


def test_algebra_composes_like_numbers():
    a, b = layer("blocks.9"), channel("blocks.12", 17)
    assert sum([a, b]) == a + b
    assert (a + 1.0).text() == "blocks.9 + 1"
    assert (1.0 + a) == (a + 1.0)
    assert (a / 4).text() == "0.25*blocks.9"
    assert (-a).text() == "-blocks.9"
    assert (2 - a).text() == "-blocks.9 + 2"
    assert (0.5 * a + b - class_logit("goldfish")).text() == "0.5*blocks.9 + blocks.12:17 - class:goldfish"
    assert 1 * a == a and (a * 1.0) is not None
    assert isinstance(a + b, Sum) and (a + b).terms() == ((1.0, a), (1.0, b))


def test_values_are_immutable_and_hashable():
    value = parse("0.5*blocks.9 + class:tench")
    with pytest.raises(AttributeError):
        value.offset = 3  # type: ignore[misc]
    assert len({value, parse(value.text())}) == 1


def test_descriptions_are_words():
    assert parse("blocks.12:17").describe() == "blocks.12 channel 17"
    assert parse('guide:"/home/me/sky.jpg"@blocks.6').describe() == "guide sky.jpg blocks.6"
    assert parse('0.5*blocks.9 - class:"tabby cat"').describe() == "0.5 x blocks.9 - class tabby cat"


@pytest.mark.parametrize("text, message", [
    ("", "empty objective"),
    ("blocks.9 +", "expected a layer name"),
    ("0.5 blocks.9", "must be followed by '\\*'"),
    ("blocks.9:x", "expected a channel number"),
    ("blocks.9:3@2,0.5", "between 0 and 1"),
    ("class:\"tabby", "unclosed quote"),
    ("1e999*blocks.9", "a weight must be a finite number"),
    ("blocks.9*1e999", "a weight must be a finite number"),
    ("2e6*blocks.9", "at most 1e\\+06"),
    ("blocks.9 blocks.5", "expected '\\+' or '-'"),
])
def test_bad_expressions_are_one_line_errors(text, message):
    with pytest.raises(ObjectiveError, match=message) as info:
        parse(text)
    assert "\n" not in str(info.value)


def test_bad_values_are_refused_when_built():
    with pytest.raises(ObjectiveError, match="finite"):
        layer("blocks.9") * float("nan")
    with pytest.raises(ObjectiveError, match="finite"):
        layer("blocks.9") + float("inf")
    with pytest.raises(ObjectiveError, match="divided by 0"):
        layer("blocks.9") / 0
    with pytest.raises(ObjectiveError, match="both kinds of quote"):
        Guide("a\"b'c.png")
    with pytest.raises(ObjectiveError, match="0 or more"):
        Channel("blocks.9", -1)
    with pytest.raises(ObjectiveError, match="needs a name"):
        ClassLogit(" ")
    assert Layer("x") == layer("x")
