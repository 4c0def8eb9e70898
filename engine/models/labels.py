"""ImageNet class names and forgiving lookup of a class by name or index."""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

from ..errors import DreamError


@lru_cache(maxsize=1)
def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k names in the usual index order, as torchvision ships them (offline)."""
    from torchvision.models import GoogLeNet_Weights

    return list(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-']+", " ", text.strip().lower())


def find_class(query: str, labels: list[str]) -> int:
    """Index of a class given as an index or a name; 'tabby', 'tabby cat', 'Tabby Cat' all match.

    An unknown or ambiguous name is a DreamError listing the nearest labels.
    """
    query = query.strip().strip("\"'")
    if query.isdigit():
        index = int(query)
        if not 0 <= index < len(labels):
            raise DreamError(f"class index {index} out of range: this model has classes 0..{len(labels) - 1}")
        return index
    wanted = _norm(query)
    normed = [_norm(label) for label in labels]
    exact = [i for i, label in enumerate(normed) if label == wanted]
    if len(exact) == 1:
        return exact[0]
    # 'tabby cat' -> 'tabby': a label that is a whole-word prefix/suffix of the query or the reverse.
    words = set(wanted.split())
    partial = [i for i, label in enumerate(normed)
               if label in wanted.split() or set(label.split()) <= words or wanted in label.split(" ")]
    partial = sorted(set(exact + partial))
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{labels[i]} ({i})" for i in partial[:8])
        raise DreamError(f"class {query!r} is ambiguous: {names}; give the full name or the index")
    near = difflib.get_close_matches(wanted, normed, n=5, cutoff=0.5)
    if not near:
        raise DreamError(f"unknown class {query!r} and no name is close; give a class index 0..{len(labels) - 1} "
                         f"or a name such as {labels[1]!r}")
    hint = ", ".join(f"{labels[normed.index(n)]} ({normed.index(n)})" for n in near)
    raise DreamError(f"unknown class {query!r}; nearest: {hint}")
