"""Parsing the objective expression language (user-facing summary: dreamlayer.objective_syntax).

    expr   := ['-'] term (('+' | '-') term)*
    term   := [NUMBER '*'] atom ['*' NUMBER]
    atom   := LAYER                      amplify a layer          blocks.9
            | LAYER ':' INT              one channel              blocks.12:17
            | LAYER ':' INT '@' X ',' Y  one neuron (X, Y in 0..1) blocks.12:17@0.5,0.5
            | 'class:' NAME | INDEX      a class logit            class:goldfish  class:"tabby cat"  class:1
            | 'guide:' PATH ['@' LAYER]  a guide image            guide:"sky.jpg"@blocks.6

Unquoted class names and paths run to the next ' + ' or ' - ' (spaces around the operator),
so quote them when they contain '+', '*' or ' - '.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import torch

from . import objectives as obj
from .errors import DreamError

_NUMBER = re.compile(r"\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+")
_LAYER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_UNQUOTED = re.compile(r"(.+?)(?=\s+[-+]\s|\s*\*\s*[\d.]|\s*$)")

MAX_WEIGHT = 1e6  # a larger weight only overflows float32 objectives; the step is normalised anyway

GuideLoader = Callable[[Path], torch.Tensor]


class _Parser:
    def __init__(self, text: str, load_guide: GuideLoader) -> None:
        self.text, self.pos, self.load_guide = text, 0, load_guide

    def fail(self, why: str) -> DreamError:
        return DreamError(f"bad objective {self.text!r} at column {self.pos + 1}: {why}. "
                          "Examples: blocks.9 | blocks.12:17 | 0.5*blocks.9 - 0.2*blocks.5 | class:goldfish")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, literal: str) -> bool:
        self.skip()
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def match(self, pattern: re.Pattern) -> str | None:
        self.skip()
        m = pattern.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group(1) if pattern.groups and pattern is _UNQUOTED else m.group(0)

    def number(self) -> float | None:
        value = self.match(_NUMBER)
        return None if value is None else float(value)

    def expression(self) -> obj.Objective:
        sign = -1.0 if self.take("-") else 1.0
        result = sign * self.term()
        while True:
            if self.take("+"):
                result = result + self.term()
            elif self.take("-"):
                result = result - self.term()
            else:
                break
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("expected '+' or '-'")
        return result

    def term(self) -> obj.Objective:
        weight = 1.0
        start = self.pos
        number = self.number()
        if number is not None:
            if not self.take("*"):
                self.pos = start
                raise self.fail("a weight must be followed by '*', as in 0.5*blocks.9")
            weight = number
        atom = self.atom()
        if self.take("*"):
            number = self.number()
            if number is None:
                raise self.fail("expected a number after '*'")
            weight *= number
        if not abs(weight) <= MAX_WEIGHT:  # also catches inf and nan
            raise self.fail(f"a weight must be a finite number of at most {MAX_WEIGHT:g}, not {weight:g}")
        return atom if weight == 1.0 else weight * atom

    def text_value(self) -> str:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            quote = self.text[self.pos]
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.fail("unclosed quote")
            value, self.pos = self.text[self.pos + 1:end], end + 1
            return value
        value = self.match(_UNQUOTED)
        if not value:
            raise self.fail("expected a name")
        return value.strip()

    def atom(self) -> obj.Objective:
        if self.take("class:"):
            return obj.class_logit(self.text_value())
        if self.take("guide:"):
            raw = self.text_value()
            path, _, layer_name = raw.partition("@") if not self.take("@") else (raw, "", self.layer_name())
            picture = self.load_guide(Path(path))
            return obj.guide(picture, layer_name or None, label=Path(path).name)
        name = self.layer_name()
        if not self.take(":"):
            return obj.layer(name)
        index = self.match(re.compile(r"\d+"))
        if index is None:
            raise self.fail(f"expected a channel number after '{name}:'")
        if not self.take("@"):
            return obj.channel(name, int(index))
        x = self.number()
        if x is None or not self.take(","):
            raise self.fail("a neuron position is X,Y as fractions, as in @0.5,0.5")
        y = self.number()
        if y is None or not (0 <= x <= 1 and 0 <= y <= 1):
            raise self.fail("a neuron position is X,Y between 0 and 1")
        return obj.neuron(name, int(index), x, y)

    def layer_name(self) -> str:
        name = self.match(_LAYER)
        if not name:
            raise self.fail("expected a layer name, 'class:' or 'guide:'")
        return name


def parse_objective(text: str, load_guide: GuideLoader) -> obj.Objective:
    """Parse an objective expression; layers, channels and classes are checked later against the model."""
    if not text or not text.strip():
        raise DreamError("empty objective")
    return _Parser(text, load_guide).expression()
