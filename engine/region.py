"""Where a masked dream runs: the mask's box with context around it, not the whole picture.

Pixels the mask leaves at 0 come back unchanged anyway, so a painter's small selection on a
big canvas costs a small dream. The network still sees a margin of picture past the
selection's edge, so the dream inside reads its surroundings as it would on the whole picture.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

MIN_CONTEXT = 64  # px of picture kept on every side of the mask's box
CONTEXT_FRACTION = 0.25  # ... or this fraction of the box's longer side, if more
WORTH_CROPPING = 0.8  # crop only when the region is at most this fraction of the picture's area

Box = tuple[slice, slice]


def nothing_selected(mask: np.ndarray) -> bool:
    """A mask that is 0 everywhere: a dream would change no pixel, so it should not run at all."""
    return not mask.any()


def dream_box(mask: Optional[np.ndarray]) -> Optional[Box]:
    """Rows and columns to dream on, or None for the whole picture (no mask, an empty one, or one
    whose region would cover most of the picture anyway)."""
    if mask is None:
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    height, width = mask.shape
    context = max(MIN_CONTEXT, round(CONTEXT_FRACTION * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)))
    top, bottom = max(0, rows[0] - context), min(height, rows[-1] + 1 + context)
    left, right = max(0, cols[0] - context), min(width, cols[-1] + 1 + context)
    if (bottom - top) * (right - left) > WORTH_CROPPING * height * width:
        return None
    return slice(int(top), int(bottom)), slice(int(left), int(right))


def paste(picture: np.ndarray, box: Box, part: np.ndarray) -> np.ndarray:
    """A copy of ``picture`` with ``part`` in ``box``."""
    whole = np.array(picture, dtype=np.float32)
    whole[box] = part
    return whole


def as_xywh(box: Box) -> tuple[int, int, int, int]:
    return box[1].start, box[0].start, box[1].stop - box[1].start, box[0].stop - box[0].start
