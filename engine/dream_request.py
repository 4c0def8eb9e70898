"""A dream request from the editor, read and checked into a typed record before any work."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import DreamOptions, Message
from dreamlayer.settings import DreamSettings

from .errors import BadRequest
from .wire import effective_mask, mask_to_float

@dataclass(frozen=True)
class DreamRequest:
    """A checked dream request: its pixels, and its options as the editor sent them."""

    image: Image
    options: DreamOptions
    mask: Optional[Mask]  # after invert and feather: what the dream blends with
    weights: Optional[np.ndarray]  # the mask in [0, 1] as float32 HxW

    @property
    def settings(self) -> DreamSettings:
        return self.options.settings


def read_dream_request(request: Message) -> DreamRequest:
    """The request's fields, each checked; BadRequest with a painter-facing line for the first bad one."""
    image = protocol.image_from(request)
    mask = protocol.mask_from(request)
    try:
        options = DreamOptions.from_fields(request)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    weights = None
    if mask is not None:
        if (mask.width, mask.height) != (image.width, image.height):
            raise BadRequest(f"the mask is {mask.width}x{mask.height} but the image is {image.width}x{image.height}")
        mask = effective_mask(mask, options.invert, options.feather)
        weights = mask_to_float(mask)
        if not weights.any():
            raise BadRequest("Nothing to dream: the selection (after invert and feather) covers no pixel.")
    return DreamRequest(image=image, options=options, mask=mask, weights=weights)
