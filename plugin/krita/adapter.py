"""Krita documents, layers and selections <-> dreamlayer's ``Image``, ``Mask`` and ``Bounds``.

RGBA documents with 8- or 16-bit integer channels are read and written directly.
Every other colour space (float RGBA, CMYK, greyscale, Lab, ...) is converted to 16-bit
sRGB for the dream and back, inside a throwaway document: converting a layer's colour
space is an undoable command in Krita, and it must not land on the user's undo stack.
Functions take Krita's objects in the typed wrappers of ``host`` and never import ``krita``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.plugin.krita.host import Application, ColorSpace, Document, Layer, Selection
from dreamlayer.plugin.krita.pixelbytes import CHANNEL_TYPES, has_partial_alpha, swap_red_blue
from dreamlayer.protocol import DIFFERENCE, LAYER

DREAM_MODEL = "RGBA"
DREAM_DEPTH = "U16"
DREAM_PROFILE = "sRGB-elle-V2-srgbtrc.icc"
DIRECT_DEPTHS = {"U8": 8, "U16": 16}
DIFFERENCE_MODELS = {"RGBA", "GRAYA"}  # where a difference layer was measured to hold (see apply): not CMYK
# Krita's own filters change nothing when the selection is empty (made, then cleared: 0x0); neither do we.
EMPTY_SELECTION = ("The selection is empty or lies outside the image, so there is nothing to dream on. "
                   "Select an area, or Select › Deselect to dream on the whole layer.")


class KritaAdapterError(ValueError):
    """Something about the document stops a dream; the message is one line for the user."""


def direct(space: ColorSpace) -> bool:
    """Whether pixels in ``space`` map onto ``pixels.Image`` without conversion."""
    return space.model == DREAM_MODEL and space.depth in DIRECT_DEPTHS


DREAM_SPACE = ColorSpace(DREAM_MODEL, DREAM_DEPTH, DREAM_PROFILE)
MODEL_WORDS = {"RGBA": "RGB", "GRAYA": "greyscale", "CMYKA": "CMYK", "LABA": "Lab", "XYZA": "XYZ", "YCbCrA": "YCbCr"}
DEPTH_WORDS = {"U8": "8-bit", "U16": "16-bit", "F16": "16-bit float", "F32": "32-bit float"}


def describe(space: ColorSpace) -> str:
    """A colour space in a painter's words: 'greyscale, 16-bit', 'CMYK, 8-bit'."""
    return f"{MODEL_WORDS.get(space.model, space.model)}, {DEPTH_WORDS.get(space.depth, space.depth)}"


@dataclass(frozen=True)
class Source:
    """What is dreamed on and where the result goes.

    ``parent``/``anchor``: the result layer is added to ``parent`` directly above ``anchor``.
    ``selection``: the document's selection (None when nothing is selected), kept for the
    transparency mask. ``native``/``space``: the pixels as Krita gave them, in their own colour
    space. ``over_layers``: whether visible layers lie under the source in its group (the
    composite of the rest shows through where the source is semi-transparent). ``difference``:
    the dream goes in as a difference layer (see ``apply``), the source being semi-transparent.
    """

    image: Image
    mask: Optional[Mask]
    bounds: Bounds
    parent: Layer
    anchor: Layer
    selection: Optional[Selection]
    native: bytes
    space: ColorSpace
    over_layers: bool = False
    difference: bool = False

    @property
    def result(self) -> str:
        """The form the engine sends the dream in (``dreamlayer.protocol``): the difference layer
        itself where the engine sees the document's own samples, else the pure dream."""
        return DIFFERENCE if self.difference and direct(self.space) else LAYER


def canvas(document: Document) -> Bounds:
    """The whole canvas: the dialog can invert or feather the selection, which reaches beyond its box."""
    bounds = document.bounds
    if bounds.empty:
        raise KritaAdapterError("The image is empty.")
    return bounds


def source_layer(document: Document) -> Layer:
    """The layer to dream on: the active node, or the layer a selected mask belongs to."""
    layer = document.active_layer()
    while layer is not None and layer.is_mask:
        layer = layer.parent()
    if layer is None or not layer.kind:
        raise KritaAdapterError("Select a layer to dream on.")
    return layer


def top_layer(document: Document) -> Layer:
    """The topmost layer of the document (skipping the global selection's mask)."""
    layers = document.top_layers()
    if not layers:
        raise KritaAdapterError("The document has no layers.")
    return layers[-1]


def read_source(app: Application, document: Document, composite: bool = False) -> Source:
    """Read the active layer (or the visible composite) and the selection of ``document``."""
    document.wait()
    selection = document.selection()
    if selection is not None and selection.empty:
        raise KritaAdapterError(EMPTY_SELECTION)
    bounds = canvas(document)
    if composite:
        anchor = top_layer(document)
        data, space = document.pixels(bounds), document.space
    else:
        anchor = source_layer(document)
        data, space = anchor.pixels(bounds), anchor.space
    mask = None
    if selection is not None:
        mask = Mask(bounds.width, bounds.height, selection.pixels(bounds))
        if not mask.data.strip(b"\0"):
            raise KritaAdapterError(EMPTY_SELECTION)
    image = to_image(app, data, bounds, space)
    difference = space == document.space and space.model in DIFFERENCE_MODELS \
        and space.depth in CHANNEL_TYPES and has_partial_alpha(image)
    parent = anchor.parent()
    if parent is None:
        raise KritaAdapterError("Select a layer to dream on.")
    return Source(image, mask, bounds, parent, anchor, selection, data, space,
                  not composite and _over_layers(parent, anchor), difference)


def _over_layers(parent: Layer, layer: Layer) -> bool:
    """Whether a visible layer lies below ``layer`` in its group."""
    siblings = parent.children()
    below = siblings[:siblings.index(layer)]
    return any(sibling.visible and not sibling.is_mask for sibling in below)


def to_image(app: Application, data: bytes, bounds: Bounds, space: ColorSpace) -> Image:
    """Krita pixel bytes in ``space`` -> straight RGBA ``Image`` (8 or 16 bit)."""
    if not direct(space):
        data = convert(app, data, bounds, space, DREAM_SPACE)
        space = DREAM_SPACE
    depth = DIRECT_DEPTHS[space.depth]
    expected = bounds.width * bounds.height * 4 * depth // 8
    if len(data) != expected:
        raise KritaAdapterError(f"Krita gave {len(data)} bytes of pixels where {expected} were expected.")
    return Image(bounds.width, bounds.height, swap_red_blue(data, depth), depth)


def from_image(app: Application, image: Image, bounds: Bounds, space: ColorSpace) -> bytes:
    """Straight RGBA ``Image`` -> Krita pixel bytes in ``space``."""
    if direct(space) and DIRECT_DEPTHS[space.depth] == image.depth:
        return swap_red_blue(image.data, image.depth)
    native = ColorSpace(DREAM_MODEL, "U8" if image.depth == 8 else "U16", DREAM_PROFILE)
    return convert(app, swap_red_blue(image.data, image.depth), bounds, native, space)


def write_pixels(app: Application, layer: Layer, image: Image, bounds: Bounds) -> None:
    """Put ``image`` into ``layer`` at ``bounds``, converted to the layer's colour space."""
    layer.set_pixels(from_image(app, image, bounds, layer.space), bounds)


def convert(app: Application, data: bytes, bounds: Bounds, source: ColorSpace, target: ColorSpace) -> bytes:
    """Convert raw pixels between colour spaces in a throwaway document.

    Krita records a colour-space conversion as an undoable command of the layer's
    document, so it happens in a document of its own that is closed straight after.
    """
    scratch = app.new_document(bounds.width, bounds.height, "dreamlayer conversion", source)
    if scratch is None:
        raise KritaAdapterError(f"Krita cannot work in {source.model} {source.depth} ({source.profile}).")
    try:
        whole = scratch.bounds
        layer = scratch.top_layers()[0]
        layer.set_pixels(data, whole)
        if not layer.set_color_space(target):
            raise KritaAdapterError(f"Krita could not convert {source.model} {source.depth} to "
                                    f"{target.model} {target.depth}.")
        scratch.wait()
        return layer.pixels(whole)
    finally:
        scratch.discard()
