"""What to dream of, as one typed value: a layer, a channel, a neuron, a class, a guide picture,
or a weighted sum of them.

The command line parses text into these values, the dialog builds them from its choices, and
the engine compiles them for a network; all three meet in :func:`parse` and :meth:`Objective.text`
(``parse(x.text()) == x``). Standard library only: the dialog runs inside editors' Pythons.
Values are immutable and compose like Lucent's objectives: ``0.5 * layer("blocks.9") -
class_logit("goldfish")``; ``sum([...])`` works too.
"""
from __future__ import annotations

import ntpath
import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Union

GRAMMAR = """\
  blocks.9                      amplify a layer (mean squared activation)
  blocks.12:17                  one channel of a layer
  blocks.12:17@0.5,0.5          one neuron: a channel at X,Y (fractions of width, height)
  class:goldfish                a class logit, by name (forgiving) or index: class:1, class:"tabby cat"
  guide:"sky.jpg"               a guide picture: see what it shows (add @LAYER to pick the layer)
  0.5*blocks.9 - 0.2*blocks.5   weight terms with NUMBER*, combine with + and -

  Example: "0.5*blocks.9 + blocks.12:17 - 0.2*blocks.5 + class:goldfish"
  Unquoted class names and paths run to the next ' + ' or ' - '; quote them if they contain
  '+', '*' or ' - '. `dreamlayer layers MODEL` lists layer names and channel counts.
"""
EXAMPLES = "blocks.9 | blocks.12:17 | 0.5*blocks.9 - 0.2*blocks.5 | class:goldfish"
MAX_WEIGHT = 1e6  # a larger weight only overflows float32 objectives; the step is normalised anyway


class ObjectiveError(ValueError):
    """A bad objective; the message is one line for the person who wrote it."""


def _number(value: float) -> str:
    """The shortest text that reads back as the same float: 0.5, 2, 1e-07."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _finite(value: float, what: str) -> float:
    value = float(value)
    if not abs(value) <= MAX_WEIGHT:  # also catches inf and nan
        raise ObjectiveError(f"{what} must be a finite number of at most {MAX_WEIGHT:g}, not {value:g}")
    return value


def _quoted(text: str, what: str) -> str:
    quote = '"' if '"' not in text else "'"
    if quote in text:
        raise ObjectiveError(f"the {what} cannot contain both kinds of quote mark")
    return f"{quote}{text}{quote}"


class Objective:
    """Base of every objective value; see the module docstring."""

    def terms(self) -> tuple[tuple[float, Term], ...]:
        """(weight, term) pairs whose weighted sum this is."""
        raise NotImplementedError

    @property
    def constant(self) -> float:
        return 0.0

    def text(self) -> str:
        """The canonical expression, as the command line and settings files write it."""
        raise NotImplementedError

    def describe(self) -> str:
        """In words, for layer names and messages: 'channel 17 of blocks.12'."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def __add__(self, other: Union[Objective, float]) -> Objective:
        if isinstance(other, Objective):
            return Sum.of(self.terms() + other.terms(), self.constant + other.constant)
        if isinstance(other, (int, float)):
            return Sum.of(self.terms(), self.constant + _finite(other, "a constant"))
        return NotImplemented

    __radd__ = __add__  # sum() starts from 0

    def __sub__(self, other: Union[Objective, float]) -> Objective:
        return self + (-1.0) * other

    def __rsub__(self, other: float) -> Objective:
        return (-1.0) * self + other

    def __mul__(self, weight: float) -> Objective:
        if not isinstance(weight, (int, float)):
            return NotImplemented
        weight = _finite(weight, "a weight")
        return Sum.of(tuple((weight * w, t) for w, t in self.terms()), weight * self.constant)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Objective:
        if not isinstance(divisor, (int, float)):
            return NotImplemented
        if divisor == 0:
            raise ObjectiveError("an objective cannot be divided by 0")
        return self * (1.0 / divisor)

    def __neg__(self) -> Objective:
        return self * -1.0


def _check_channel(channel: int) -> None:
    if channel < 0:
        raise ObjectiveError(f"a channel number is 0 or more, not {channel}")


class Term(Objective):
    """One thing to see more of; a weighted sum of one term with weight 1 is the term itself."""

    def terms(self) -> tuple[tuple[float, Term], ...]:
        return ((1.0, self),)


@dataclass(frozen=True)
class Layer(Term):
    """Amplify a whole layer: whatever it sees, more of it."""

    layer: str

    def text(self) -> str:
        return self.layer

    def describe(self) -> str:
        return self.layer


@dataclass(frozen=True)
class Channel(Term):
    """Excite one feature channel everywhere in the picture."""

    layer: str
    channel: int

    def __post_init__(self) -> None:
        _check_channel(self.channel)

    def text(self) -> str:
        return f"{self.layer}:{self.channel}"

    def describe(self) -> str:
        return f"{self.layer} channel {self.channel}"


@dataclass(frozen=True)
class Neuron(Term):
    """One channel at one position, given as fractions of the layer's width and height."""

    layer: str
    channel: int
    x: float = 0.5
    y: float = 0.5

    def __post_init__(self) -> None:
        _check_channel(self.channel)
        if not (0 <= self.x <= 1 and 0 <= self.y <= 1):
            raise ObjectiveError("a neuron position is X,Y between 0 and 1")

    def text(self) -> str:
        return f"{self.layer}:{self.channel}@{_number(self.x)},{_number(self.y)}"

    def describe(self) -> str:
        return f"{self.layer} neuron {self.channel} at {_number(self.x)},{_number(self.y)}"


_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class ClassLogit(Term):
    """Raise a class's logit; ``label`` is a class name (matched forgivingly) or an index."""

    label: str

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ObjectiveError("a class needs a name or an index")

    def text(self) -> str:
        plain = _PLAIN_LABEL.fullmatch(self.label)
        return f"class:{self.label if plain else _quoted(self.label, 'class name')}"

    def describe(self) -> str:
        return f"class {self.label}"


@dataclass(frozen=True)
class Guide(Term):
    """Take on the features of a guide picture at ``layer`` (the model's default when None)."""

    path: str
    layer: str | None = None

    def __post_init__(self) -> None:
        if not self.path.strip():
            raise ObjectiveError("a guide needs a picture")
        _quoted(self.path, "guide path")

    def text(self) -> str:
        return f"guide:{_quoted(self.path, 'guide path')}" + (f"@{self.layer}" if self.layer else "")

    def describe(self) -> str:
        name = posixpath.basename(ntpath.basename(self.path))
        return f"guide {name}" + (f" {self.layer}" if self.layer else "")


@dataclass(frozen=True)
class Sum(Objective):
    """A weighted sum of terms plus a constant (which moves the score, not the dream)."""

    parts: tuple[tuple[float, Term], ...]
    offset: float = 0.0

    @staticmethod
    def of(parts: tuple[tuple[float, Term], ...], offset: float = 0.0) -> Objective:
        """The simplest value for these parts: a lone term of weight 1 is the term itself."""
        if len(parts) == 1 and parts[0][0] == 1.0 and offset == 0.0:
            return parts[0][1]
        return Sum(tuple(parts), offset)

    def terms(self) -> tuple[tuple[float, Term], ...]:
        return self.parts

    @property
    def constant(self) -> float:
        return self.offset

    def text(self) -> str:
        return self._join(lambda t: t.text(), "*")

    def describe(self) -> str:
        return self._join(lambda t: t.describe(), " x ")

    def _join(self, show: Callable[[Term], str], times: str) -> str:
        pieces = []
        for weight, term in self.parts:
            size = abs(weight)
            pieces.append(("-" if weight < 0 else "+", ("" if size == 1 else _number(size) + times) + show(term)))
        if self.offset or not pieces:
            pieces.append(("-" if self.offset < 0 else "+", _number(abs(self.offset))))
        first_sign, first = pieces[0]
        return " ".join([("-" if first_sign == "-" else "") + first]
                        + [f"{sign} {piece}" for sign, piece in pieces[1:]])


def layer(name: str) -> Layer:
    return Layer(name)


def channel(layer_name: str, index: int) -> Channel:
    return Channel(layer_name, int(index))


def neuron(layer_name: str, index: int, x: float = 0.5, y: float = 0.5) -> Neuron:
    return Neuron(layer_name, int(index), float(x), float(y))


def class_logit(label: Union[str, int]) -> ClassLogit:
    return ClassLogit(str(label))


def guide(path: str, layer_name: str | None = None) -> Guide:
    return Guide(str(path), layer_name)


# --- parsing --------------------------------------------------------------------------------------
#   expr   := ['-'] term (('+' | '-') term)*
#   term   := NUMBER | [NUMBER '*'] atom ['*' NUMBER]
#   atom   := LAYER | LAYER ':' INT | LAYER ':' INT '@' X ',' Y
#           | 'class:' NAME-OR-INDEX | 'guide:' PATH ['@' LAYER]

_NUMBER = re.compile(r"\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?")
_LAYER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_INT = re.compile(r"\d+")
_UNQUOTED = re.compile(r"(.+?)(?=\s+[-+]\s|\s*\*\s*[\d.]|\s*$)")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, why: str) -> ObjectiveError:
        return ObjectiveError(f"bad objective {self.text!r} at column {self.pos + 1}: {why}. Examples: {EXAMPLES}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, literal: str) -> bool:
        self.skip()
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def match(self, pattern: re.Pattern[str]) -> str | None:
        self.skip()
        found = pattern.match(self.text, self.pos)
        if not found:
            return None
        self.pos = found.end()
        return found.group(1) if pattern is _UNQUOTED else found.group(0)

    def number(self) -> float | None:
        value = self.match(_NUMBER)
        return None if value is None else float(value)

    def weight(self, value: float) -> float:
        if not abs(value) <= MAX_WEIGHT:
            raise self.fail(f"a weight must be a finite number of at most {MAX_WEIGHT:g}, not {value:g}")
        return value

    def expression(self) -> Objective:
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

    def term(self) -> Objective:
        start = self.pos
        number = self.number()
        if number is not None and not self.take("*"):
            self.skip()
            if self.pos == len(self.text) or self.text[self.pos] in "+-":
                return Sum.of((), self.weight(number))
            self.pos = start
            raise self.fail("a weight must be followed by '*', as in 0.5*blocks.9")
        atom = self.atom()
        weight = 1.0 if number is None else number
        if self.take("*"):
            factor = self.number()
            if factor is None:
                raise self.fail("expected a number after '*'")
            weight *= factor
        return atom if weight == 1.0 else self.weight(weight) * atom

    def text_value(self) -> str:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            quote = self.text[self.pos]
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.fail("unclosed quote")
            value, self.pos = self.text[self.pos + 1:end], end + 1
            return value
        name = self.match(_UNQUOTED)
        if not name:
            raise self.fail("expected a name")
        return name.strip()

    def atom(self) -> Term:
        try:
            return self._atom()
        except ObjectiveError as exc:
            if str(exc).startswith("bad objective"):
                raise
            raise self.fail(str(exc)) from None

    def _atom(self) -> Term:
        if self.take("class:"):
            return ClassLogit(self.text_value())
        if self.take("guide:"):
            raw = self.text_value()
            if self.take("@"):
                return Guide(raw, self.layer_name())
            path, _, layer_name = raw.partition("@")
            return Guide(path, layer_name or None)
        name = self.layer_name()
        if not self.take(":"):
            return Layer(name)
        index = self.match(_INT)
        if index is None:
            raise self.fail(f"expected a channel number after '{name}:'")
        if not self.take("@"):
            return Channel(name, int(index))
        x = self.number()
        if x is None or not self.take(","):
            raise self.fail("a neuron position is X,Y as fractions, as in @0.5,0.5")
        y = self.number()
        if y is None:
            raise self.fail("a neuron position is X,Y as fractions, as in @0.5,0.5")
        return Neuron(name, int(index), x, y)

    def layer_name(self) -> str:
        name = self.match(_LAYER)
        if not name:
            raise self.fail("expected a layer name, 'class:' or 'guide:'")
        return name


def parse(text: str) -> Objective:
    """The objective an expression names; one-line ObjectiveError if it is malformed. Layers,
    channels and classes are checked later, against the network."""
    if not text or not text.strip():
        raise ObjectiveError("empty objective")
    return _Parser(text).expression()
