"""A dream request from the editor, read and checked into a typed record before any work."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import Message
from dreamlayer.settings import DreamSettings, number_problem

from .errors import BadRequest
from .wire import effective_mask, mask_to_float

MAX_FEATHER = 1000.0  # px; far beyond any selection's soft edge


@dataclass(frozen=True)
class DreamRequest:
    image: Image
    settings: DreamSettings
    mask: Optional[Mask]  # after invert and feather: what the dream blends with
    weights: Optional[np.ndarray]  # the mask in [0, 1] as float32 HxW
    preview_size: int
    preview_every: float  # seconds
    preview_of: Optional[int]  # the full picture's longer side when this image is a reduced copy
    result: str = protocol.BLENDED  # the form of the result image: one of protocol.RESULT_FORMS
    by_alpha: bool = False  # a difference layer's change is scaled by the source's alpha
    blended_too: bool = False  # also send the blended picture (for the dialog to show)


def number(value: Any, name: str, low: float, high: float) -> float:
    """A request's number, checked like the settings are (finite, in range)."""
    problem = number_problem(name, value, low, high)
    if problem:
        raise BadRequest(problem)
    return float(value)


def _settings(request: Message) -> DreamSettings:
    data = request.get("settings") or {}
    if not isinstance(data, dict):
        raise BadRequest("dream settings must be an object")
    try:
        settings = DreamSettings.from_dict(data)
    except TypeError as exc:
        raise BadRequest(f"bad dream settings: {exc}") from None
    problems = settings.problems()
    if problems:
        raise BadRequest(f"bad dream settings: {problems[0]}")
    return settings


def read_dream_request(request: Message) -> DreamRequest:
    """The request's fields, each checked; BadRequest with a painter-facing line for the first bad one."""
    image = protocol.image_from(request)
    mask = protocol.mask_from(request)
    settings = _settings(request)
    weights = None
    if mask is not None:
        if (mask.width, mask.height) != (image.width, image.height):
            raise BadRequest(f"the mask is {mask.width}x{mask.height} but the image is {image.width}x{image.height}")
        spec = request.get("mask") or {}
        feather = number(spec.get("feather") or 0, "feather", 0.0, MAX_FEATHER)
        mask = effective_mask(mask, bool(spec.get("invert")), feather)
        weights = mask_to_float(mask)
        if not weights.any():
            raise BadRequest("Nothing to dream: the selection (after invert and feather) covers no pixel.")
    preview_of = request.get("preview_of")
    result = request.get("result") or protocol.BLENDED
    if result not in protocol.RESULT_FORMS:
        raise BadRequest(f"unknown result form {result!r}; expected one of {', '.join(protocol.RESULT_FORMS)}")
    return DreamRequest(
        image=image, settings=settings, mask=mask, weights=weights,
        preview_size=int(number(request.get("preview_size") or protocol.PREVIEW_SIZE, "preview size", 1, 65536)),
        preview_every=number(request.get("preview_seconds") or protocol.PREVIEW_SECONDS, "preview seconds",
                             0.0, 3600.0),
        preview_of=None if preview_of is None else int(number(preview_of, "preview_of", 1, 1 << 20)),
        result=result, by_alpha=bool(request.get("by_alpha")), blended_too=bool(request.get("blended_too")))
