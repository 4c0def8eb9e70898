"""Forgiving lookup of a network's class by name or index, shared by the engine and the dialog.

Standard library only: the dialog runs inside the editor's Python (no numpy or torch). One
matcher for every front end, so 'tabby', 'Tabby' and 'tabby cat' mean the same class on the
command line and in the Dream dialog.
"""
from __future__ import annotations

import difflib
import re

NEAREST = 5


class UnknownClass(ValueError):
    """No single class matches; the message is one line that names the nearest ones."""


def normalise(text: str) -> str:
    """Lower case, with spaces, underscores, hyphens and apostrophes alike: 'Tabby_Cat' -> 'tabby cat'."""
    return re.sub(r"[\s_\-']+", " ", text.strip().lower()).strip()


def nearest(query: str, labels: list[str], count: int = NEAREST) -> list[int]:
    """Indices of the labels closest in spelling to ``query``, best first."""
    normed = [normalise(label) for label in labels]
    close = difflib.get_close_matches(normalise(query), normed, n=count, cutoff=0.5)
    return [normed.index(name) for name in close]


def find_class(query: str, labels: list[str]) -> int:
    """Index of a class given as an index or a name; 'tabby', 'tabby cat', 'Tabby Cat' all match.

    An unknown or ambiguous name is an :class:`UnknownClass` listing the nearest labels.
    """
    query = query.strip().strip("\"'")
    if query.isdigit():
        index = int(query)
        if not 0 <= index < len(labels):
            raise UnknownClass(f"class index {index} out of range: this model has classes 0..{len(labels) - 1}")
        return index
    wanted = normalise(query)
    if not wanted:
        raise UnknownClass("no class given: type a class name or index")
    normed = [normalise(label) for label in labels]
    exact = [i for i, label in enumerate(normed) if label == wanted]
    if len(exact) == 1:
        return exact[0]
    # 'tabby cat' -> 'tabby': a label that is a whole-word part of the query or the reverse.
    words = set(wanted.split())
    partial = [i for i, label in enumerate(normed)
               if label in wanted.split() or set(label.split()) <= words or wanted in label.split(" ")]
    partial = sorted(set(exact + partial))
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{labels[i]} ({i})" for i in partial[:8])
        raise UnknownClass(f"class {query!r} is ambiguous: {names}; give the full name or the index")
    near = ", ".join(f"{labels[i]} ({i})" for i in nearest(query, labels))
    hint = f"nearest: {near}" if near else f"give one of the model's class names or an index 0..{len(labels) - 1}"
    raise UnknownClass(f"unknown class {query!r}; {hint}")
