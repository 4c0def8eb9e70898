"""What the Dream dialog hands back to the editor when the painter applies a dream."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.protocol import BLENDED
from dreamlayer.settings import DreamSettings


@dataclass(frozen=True)
class Outcome:
    image: Image  # full size, same depth as the input, in the form ``result`` (see dreamlayer.protocol)
    # The mask the dream was blended with (full size, after the dialog's invert and feather),
    # for the editor to mask its new layer with; None = dreamed everywhere.
    mask: Optional[Mask]
    settings: DreamSettings
    layer_name: str  # e.g. "Dream efficientnet-lite0 blocks.9 seed 0"
    result: str = BLENDED  # the form the editor asked for: blended, the pure layer, or a difference layer
    # The part of the picture the mask kept the dream to (picture coordinates, context included);
    # outside it ``image`` is the picture's own pixels, so an editor's layer need hold only this part.
    # None = the whole picture.
    region: Optional[Bounds] = None
