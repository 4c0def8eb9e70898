"""Thin typed wrappers over Krita's application, document, layer and selection objects.

Krita's Python API hands out untyped objects whose methods return ``QByteArray`` pixels, node
kinds as strings and layers as ``Node``; these wrappers give the few operations the plugin uses
the editor's names and Python types, so the adapter reads as documents, layers and selections.
Each keeps its Krita object as ``krita`` for what the wrappers do not cover. They never import
``krita`` themselves: the plugin's unit tests wrap a stub of it (tests/krita_stub).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

from dreamlayer.ui.qt import QByteArray

from dreamlayer.pixels import Bounds

PAINT_LAYER = "paintlayer"
TRANSPARENCY_MASK = "transparencymask"


class ColorSpace(NamedTuple):
    model: str
    depth: str
    profile: str

    @classmethod
    def of(cls, thing: Any) -> "ColorSpace":
        """The colour space of a Krita Node or Document."""
        return cls(thing.colorModel(), thing.colorDepth(), thing.colorProfile())


class Selection:
    """The document's selection: one byte per pixel, 255 fully selected."""

    def __init__(self, selection: Any) -> None:
        self.krita = selection

    @property
    def empty(self) -> bool:
        """Made, then cleared (0x0), or nothing in it: Krita's own filters then change nothing."""
        return self.krita.width() <= 0 or self.krita.height() <= 0

    def pixels(self, bounds: Bounds) -> bytes:
        return bytes(self.krita.pixelData(bounds.x, bounds.y, bounds.width, bounds.height))


class Layer:
    """A node of the layer stack: a paint layer, a group, a mask..."""

    def __init__(self, node: Any) -> None:
        self.krita = node

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layer) and self.krita.uniqueId() == other.krita.uniqueId()

    def __hash__(self) -> int:
        return hash(self.krita.uniqueId().toString())

    @property
    def name(self) -> str:
        return self.krita.name()

    @name.setter
    def name(self, name: str) -> None:
        self.krita.setName(name)

    @property
    def kind(self) -> str:
        """Krita's node type: "paintlayer", "grouplayer", "transparencymask"..."""
        return self.krita.type()

    @property
    def is_mask(self) -> bool:
        return self.kind.endswith("mask")

    @property
    def visible(self) -> bool:
        return self.krita.visible()

    @visible.setter
    def visible(self, visible: bool) -> None:
        self.krita.setVisible(visible)

    @property
    def space(self) -> ColorSpace:
        return ColorSpace.of(self.krita)

    def parent(self) -> Optional["Layer"]:
        node = self.krita.parentNode()
        return None if node is None else Layer(node)

    def children(self) -> list["Layer"]:
        return [Layer(node) for node in self.krita.childNodes()]

    def masks(self) -> list["Layer"]:
        """The transparency masks on this layer."""
        return [child for child in self.children() if child.kind == TRANSPARENCY_MASK]

    def pixels(self, bounds: Bounds) -> bytes:
        """Its own pixels for a paint layer, else what it shows (a group's or filter layer's projection)."""
        read = self.krita.pixelData if self.kind == PAINT_LAYER else self.krita.projectionPixelData
        return bytes(read(bounds.x, bounds.y, bounds.width, bounds.height))

    def set_pixels(self, data: bytes, bounds: Bounds) -> None:
        self.krita.setPixelData(QByteArray(data), bounds.x, bounds.y, bounds.width, bounds.height)

    def set_color_space(self, space: ColorSpace) -> bool:
        return bool(self.krita.setColorSpace(space.model, space.depth, space.profile))

    def blend(self, mode: str, inherit_alpha: bool) -> None:
        """Set the blending mode (Krita's id, e.g. "linear light") and whether it inherits the alpha below."""
        self.krita.setBlendingMode(mode)
        self.krita.setInheritAlpha(inherit_alpha)

    def add(self, child: "Layer", above: Optional["Layer"] = None) -> None:
        """Add ``child`` to this group (or mask to this layer), directly above ``above`` (None: at the bottom)."""
        self.krita.addChildNode(child.krita, None if above is None else above.krita)

    def copy(self) -> "Layer":
        """A copy with its masks, not yet in any document's stack."""
        return Layer(self.krita.duplicate())


class Document:
    """An open image."""

    def __init__(self, document: Any) -> None:
        self.krita = document

    @property
    def bounds(self) -> Bounds:
        return Bounds(0, 0, self.krita.width(), self.krita.height())

    @property
    def space(self) -> ColorSpace:
        return ColorSpace.of(self.krita)

    def active_layer(self) -> Optional[Layer]:
        node = self.krita.activeNode()
        return None if node is None else Layer(node)

    def activate(self, layer: Layer) -> bool:
        """Ask for ``layer`` to be the active one; True once it is (the view catches up on the event loop)."""
        if self.active_layer() == layer:
            return True
        self.krita.setActiveNode(layer.krita)
        return False

    def top_layers(self) -> list[Layer]:
        """The layers at the top level, bottom first (the global selection's mask left out)."""
        return [layer for layer in map(Layer, self.krita.topLevelNodes()) if not layer.is_mask]

    def has_layer_named(self, name: str) -> bool:
        return self.krita.nodeByName(name) is not None

    def selection(self) -> Optional[Selection]:
        selection = self.krita.selection()
        return None if selection is None else Selection(selection)

    def pixels(self, bounds: Bounds) -> bytes:
        """The visible composite."""
        return bytes(self.krita.pixelData(bounds.x, bounds.y, bounds.width, bounds.height))

    def new_paint_layer(self, name: str) -> Layer:
        """A paint layer in the document's colour space, not yet in the stack."""
        return Layer(self.krita.createNode(name, PAINT_LAYER))

    def wait(self) -> None:
        """Let Krita finish what it is doing to the document."""
        self.krita.waitForDone()

    def discard(self) -> None:
        """Close without saving or asking."""
        self.krita.setModified(False)
        self.krita.close()


class Application:
    """Krita itself: the documents it opens and makes."""

    def __init__(self, app: Any) -> None:
        self.krita = app

    def new_document(self, width: int, height: int, name: str, space: ColorSpace) -> Optional[Document]:
        """A document Krita does not show (None if it cannot work in ``space``)."""
        document = self.krita.createDocument(width, height, name, space.model, space.depth, space.profile, 72.0)
        return None if document is None else Document(document)

    def open_document(self, path: str) -> Optional[Document]:
        """A document read from ``path`` that Krita does not show (None if it cannot read it), in batch
        mode: what Krita has to say about the file goes to its log, not into a message box."""
        batch = self.krita.batchmode()
        self.krita.setBatchmode(True)
        try:
            document = self.krita.openDocument(path)
        finally:
            self.krita.setBatchmode(batch)
        return None if document is None else Document(document)
