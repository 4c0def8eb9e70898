"""A small stand-in for Krita's ``krita`` module, enough to test the plugin without Krita.

It copies the behaviour the plugin relies on, as observed in Krita 5.1.5: pixel data is
BGRA (or the colour model's own channel order) in native byte order; adding a node is an
undoable command; ``add_new_transparency_mask`` makes a mask from the current selection on
the active node (kept, so a test can see the plugin no longer needs it); converting a layer's
colour space is an undoable command of its document. ``openDocument`` reads a ``.kra`` file's
layers and masks (``maindoc.xml``; their pixels start empty); a node's pixels have no edges, and
a node added to another document's stack moves to it, as in Krita.
Compositing is plain straight-alpha "over" with transparency masks, except a layer in
"linear light" mode with inherit alpha, which adds ``2 * layer - 1`` to the colours below
and keeps their alpha, as Krita 5.1.5 was measured to; colour conversions cover RGBA
U8/U16 and GRAYA U8/U16 (grey = mean of R, G, B).
"""
from __future__ import annotations

import uuid
import zipfile
from typing import Callable, Optional
from xml.etree import ElementTree

from PyQt5.QtCore import QByteArray, QObject, QUuid
from PyQt5.QtWidgets import QAction

CHANNELS = {"RGBA": 4, "GRAYA": 2}
BYTES = {"U8": 1, "U16": 2}


def _pixel_size(model: str, depth: str) -> int:
    return CHANNELS[model] * BYTES[depth]


def _read(data: bytes, depth: str) -> list[int]:
    if depth == "U8":
        return list(data)
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def _write(values: list[int], depth: str) -> bytes:
    if depth == "U8":
        return bytes(values)
    return b"".join(value.to_bytes(2, "little") for value in values)


def _convert(data: bytes, source: tuple, target: tuple) -> bytes:
    (model, depth), (to_model, to_depth) = source[:2], target[:2]
    values = _read(data, depth)
    top, to_top = (1 << 8 * BYTES[depth]) - 1, (1 << 8 * BYTES[to_depth]) - 1
    scaled = [(value * to_top + top // 2) // top for value in values]
    if model == to_model:
        return _write(scaled, to_depth)
    out: list[int] = []
    if model == "RGBA":
        for i in range(0, len(scaled), 4):
            b, g, r, a = scaled[i:i + 4]
            out += [(r + g + b + 1) // 3, a]
    else:
        for i in range(0, len(scaled), 2):
            grey, a = scaled[i:i + 2]
            out += [grey, grey, grey, a]
    return _write(out, to_depth)


class Selection:
    """A global selection: one byte per pixel from the origin; it may reach past the canvas."""

    def __init__(self, width: int = 0, height: int = 0, data: Optional[bytes] = None) -> None:
        self._width, self._height = width, height
        self._data = bytearray(data if data is not None else bytes(width * height))

    def _fit(self, width: int, height: int) -> None:
        if (self._width, self._height) != (width, height):
            grown = bytearray(width * height)
            for y in range(min(height, self._height)):
                for x in range(min(width, self._width)):
                    grown[y * width + x] = self._data[y * self._width + x]
            self._width, self._height, self._data = width, height, grown

    def select(self, x: int, y: int, w: int, h: int, value: int) -> None:
        self._fit(max(self._width, x + w), max(self._height, y + h))
        for row in range(y, y + h):
            self._data[row * self._width + x:row * self._width + x + w] = bytes([value]) * w

    def clear(self) -> None:
        """Deselect everything; the selection stays, empty (0x0), as in Krita."""
        self._data = bytearray(len(self._data))

    def setPixelData(self, value: QByteArray, x: int, y: int, w: int, h: int) -> None:
        self._fit(max(self._width, x + w), max(self._height, y + h))
        data = bytes(value)
        for row in range(h):
            start = (y + row) * self._width + x
            self._data[start:start + w] = data[row * w:(row + 1) * w]

    def _box(self) -> tuple[int, int, int, int]:
        xs = [i % self._width for i, v in enumerate(self._data) if v] if self._width else []
        ys = [i // self._width for i, v in enumerate(self._data) if v] if self._width else []
        if not xs:
            return 0, 0, 0, 0
        return min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1

    def x(self) -> int:
        return self._box()[0]

    def y(self) -> int:
        return self._box()[1]

    def width(self) -> int:
        return self._box()[2]

    def height(self) -> int:
        return self._box()[3]

    def pixelData(self, x: int, y: int, w: int, h: int) -> QByteArray:
        out = bytearray(w * h)
        for row in range(h):
            for col in range(w):
                if 0 <= x + col < self._width and 0 <= y + row < self._height:
                    out[row * w + col] = self._data[(y + row) * self._width + x + col]
        return QByteArray(bytes(out))

    def duplicate(self) -> "Selection":
        return Selection(self._width, self._height, bytes(self._data))


class _ColorSpace:
    """Krita's colour-space getters, shared by nodes and documents: ``_space`` is (model, depth, profile)."""

    _space: tuple[str, str, str]

    def colorModel(self) -> str:
        return self._space[0]

    def colorDepth(self) -> str:
        return self._space[1]

    def colorProfile(self) -> str:
        return self._space[2]


class Node(_ColorSpace):
    """A layer or mask; pixels cover the whole canvas."""

    def __init__(self, document: "Document", name: str, kind: str, space: tuple) -> None:
        self._document, self._name, self._type, self._space = document, name, kind, space
        self._children: list[Node] = []
        self._parent: Optional[Node] = None
        self._uuid = QUuid(str(uuid.uuid4()))
        self._visible, self._blending, self._inherit_alpha = True, "normal", False
        self._width, self._height = document.width(), document.height()
        self._pixels = bytearray(self._width * self._height * self._pixel_size())

    def _fit(self, width: int, height: int) -> None:
        """Grow the stored pixels to ``width`` x ``height`` (Krita's paint devices have no edges)."""
        if width <= self._width and height <= self._height:
            return
        size, old = self._pixel_size(), self._width
        width, height = max(width, self._width), max(height, self._height)
        grown = bytearray(width * height * size)
        for row in range(self._height):
            grown[row * width * size:(row * width + old) * size] = self._pixels[row * old * size:(row + 1) * old * size]
        self._width, self._height, self._pixels = width, height, grown

    def _move_to(self, document: "Document") -> None:
        self._document = document
        for child in self._children:
            child._move_to(document)

    def name(self) -> str:
        return self._name

    def setName(self, name: str) -> None:
        self._name = name

    def type(self) -> str:
        return self._type

    def uniqueId(self) -> QUuid:
        return self._uuid

    def visible(self) -> bool:
        return self._visible

    def setVisible(self, visible: bool) -> None:
        self._visible = visible

    def blendingMode(self) -> str:
        return self._blending

    def setBlendingMode(self, mode: str) -> None:
        self._blending = mode

    def inheritAlpha(self) -> bool:
        return self._inherit_alpha

    def setInheritAlpha(self, inherit: bool) -> None:
        self._inherit_alpha = inherit

    def childNodes(self) -> list["Node"]:
        return list(self._children)

    def parentNode(self) -> Optional["Node"]:
        return self._parent

    def _pixel_size(self) -> int:
        return 1 if self._type == "transparencymask" else _pixel_size(*self._space[:2])

    def pixelData(self, x: int, y: int, w: int, h: int) -> QByteArray:
        self._fit(x + w, y + h)
        size, width = self._pixel_size(), self._width
        rows = (self._pixels[((y + row) * width + x) * size:((y + row) * width + x + w) * size] for row in range(h))
        return QByteArray(b"".join(bytes(part) for part in rows))

    projectionPixelData = pixelData

    def setPixelData(self, value: QByteArray, x: int, y: int, w: int, h: int) -> None:
        self._fit(x + w, y + h)
        size, width, data = self._pixel_size(), self._width, bytes(value)
        for row in range(h):
            start = ((y + row) * width + x) * size
            self._pixels[start:start + w * size] = data[row * w * size:(row + 1) * w * size]

    def setColorSpace(self, model: str, depth: str, profile: str) -> bool:
        old, new = self._space, (model, depth, profile)
        before = bytes(self._pixels)
        after = _convert(before, old, new)

        def redo() -> None:
            self._space, self._pixels = new, bytearray(after)

        def undo() -> None:
            self._space, self._pixels = old, bytearray(before)

        self._document._push("Convert Layer Color Space", redo, undo)
        return True

    def addChildNode(self, child: "Node", above: Optional["Node"]) -> bool:
        index = self._children.index(above) + 1 if above is not None else len(self._children)

        def redo() -> None:
            self._children.insert(index, child)
            child._parent = self
            child._move_to(self._document)

        def undo() -> None:
            self._children.remove(child)
            child._parent = None

        self._document._push("Add Layer", redo, undo)
        return True

    def duplicate(self) -> "Node":
        copy = Node(self._document, self._name, self._type, self._space)
        copy._width, copy._height, copy._pixels = self._width, self._height, bytearray(self._pixels)
        copy._visible, copy._blending, copy._inherit_alpha = self._visible, self._blending, self._inherit_alpha
        for child in self._children:
            twin = child.duplicate()
            twin._parent = copy
            copy._children.append(twin)
        return copy


class Document(_ColorSpace):
    """An open image with one undo stack."""

    def __init__(self, app: "Krita", width: int, height: int, name: str, model: str, depth: str,
                 profile: str) -> None:
        self._app, self._width, self._height, self._name = app, width, height, name
        self._space = (model, depth, profile or f"{model}-{depth} default")
        self._root = Node(self, "root", "grouplayer", self._space)
        self._selection: Optional[Selection] = None
        self._active: Optional[Node] = None
        self.undo_stack: list[tuple[str, Callable, Callable]] = []
        self.redo_stack: list[tuple[str, Callable, Callable]] = []
        self.closed = False
        background = Node(self, "Background", "paintlayer", self._space)
        self._root._children.append(background)
        background._parent = self._root
        self._active = background

    def _push(self, text: str, redo: Callable, undo: Callable) -> None:
        redo()
        self.undo_stack.append((text, redo, undo))
        self.redo_stack.clear()

    def undo(self) -> None:
        if self.undo_stack:
            command = self.undo_stack.pop()
            command[2]()
            self.redo_stack.append(command)

    def redo(self) -> None:
        if self.redo_stack:
            command = self.redo_stack.pop()
            command[1]()
            self.undo_stack.append(command)

    def width(self) -> int:
        return self._width

    def height(self) -> int:
        return self._height

    def rootNode(self) -> Node:
        return self._root

    def topLevelNodes(self) -> list[Node]:
        return self._root.childNodes()

    def nodeByName(self, name: str) -> Optional[Node]:
        pending = list(self._root.childNodes())
        while pending:
            node = pending.pop(0)
            if node.name() == name:
                return node
            pending += node.childNodes()
        return None

    def createNode(self, name: str, kind: str) -> Node:
        return Node(self, name, kind, self._space)

    def activeNode(self) -> Optional[Node]:
        return self._active

    def setActiveNode(self, node: Node) -> None:
        self._active = node

    def selection(self) -> Optional[Selection]:
        return self._selection.duplicate() if self._selection is not None else None

    def setSelection(self, selection: Optional[Selection]) -> None:
        self._selection = selection.duplicate() if selection is not None else None

    def pixelData(self, x: int, y: int, w: int, h: int) -> QByteArray:
        """The composite: visible layers over each other, through their transparency masks."""
        model, depth = self._space[:2]
        channels, top = CHANNELS[model], (1 << 8 * BYTES[depth]) - 1
        out = [0] * (self._width * self._height * channels)
        for layer in self._root.childNodes():
            if layer.type().endswith("mask") or not layer.visible():
                continue
            linear_light = layer.blendingMode() == "linear light" and layer.inheritAlpha()
            values = _read(bytes(layer.pixelData(0, 0, self._width, self._height)), depth)
            masks = [bytes(m.pixelData(0, 0, self._width, self._height)) for m in layer.childNodes()
                     if m.type() == "transparencymask"]
            for pixel in range(self._width * self._height):
                base = pixel * channels
                alpha = values[base + channels - 1]
                for mask in masks:
                    alpha = alpha * mask[pixel] // 255
                if not alpha:
                    continue
                under = out[base + channels - 1]
                if linear_light:
                    for c in range(channels - 1 if under else 0):
                        lit = min(max(out[base + c] + 2 * values[base + c] - top, 0), top)
                        out[base + c] += ((lit - out[base + c]) * alpha + top // 2) // top
                    continue
                result = alpha + under * (top - alpha) // top
                for c in range(channels - 1):
                    mixed = values[base + c] * alpha + out[base + c] * under * (top - alpha) // top
                    out[base + c] = (mixed + result // 2) // result
                out[base + channels - 1] = result
        size = channels * BYTES[depth]
        data = _write(out, depth)
        return QByteArray(b"".join(data[((y + row) * self._width + x) * size:((y + row) * self._width + x + w) * size]
                                   for row in range(h)))

    def waitForDone(self) -> None:
        pass

    def refreshProjection(self) -> None:
        pass

    def setModified(self, modified: bool) -> None:
        pass

    def close(self) -> bool:
        self.closed = True
        self._app._documents.remove(self)
        return True


class Action:
    def __init__(self, app: "Krita", name: str) -> None:
        self._app, self._name = app, name

    def trigger(self) -> None:
        self._app.triggered.append(self._name)
        document = self._app.activeDocument()
        if self._name == "edit_undo":
            document.undo()
        elif self._name == "edit_redo":
            document.redo()
        elif self._name == "add_new_transparency_mask":
            layer = document.activeNode()
            mask = Node(document, "Transparency Mask 1", "transparencymask", document._space)
            if document._selection is not None:
                mask._pixels = bytearray(document._selection.pixelData(0, 0, document.width(), document.height()))
            else:
                mask._pixels = bytearray(b"\xff" * len(mask._pixels))
            layer.addChildNode(mask, None)


class Window:
    """A main window: records where actions were put."""

    def __init__(self) -> None:
        self.created: dict[str, tuple[QAction, str]] = {}

    def createAction(self, name: str, text: str, menu: str) -> QAction:
        action = QAction(text)
        action.setObjectName(name)
        self.created[name] = (action, menu)
        return action

    def qwindow(self) -> None:
        return None


class Extension(QObject):
    def __init__(self, parent: object = None) -> None:
        super().__init__()


class Krita:
    _instance: Optional["Krita"] = None

    def __init__(self) -> None:
        self._documents: list[Document] = []
        self._active: Optional[Document] = None
        self._window = Window()
        self._settings: dict[tuple[str, str], str] = {}
        self.extensions_added: list[Extension] = []
        self.triggered: list[str] = []
        self.opened_in_batch: list[bool] = []
        self._batch = False

    @classmethod
    def instance(cls) -> "Krita":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    @classmethod
    def reset(cls) -> "Krita":
        """A fresh application (tests only)."""
        cls._instance = cls()
        return cls._instance

    def version(self) -> str:
        return "5.1.5-stub"

    def createDocument(self, width: int, height: int, name: str, model: str, depth: str, profile: str,
                       resolution: float) -> Optional[Document]:
        if model not in CHANNELS or depth not in BYTES:
            return None
        document = Document(self, width, height, name, model, depth, profile)
        self._documents.append(document)
        return document

    def documents(self) -> list[Document]:
        return list(self._documents)

    def batchmode(self) -> bool:
        return self._batch

    def setBatchmode(self, batch: bool) -> None:
        self._batch = batch

    def openDocument(self, path: str) -> Optional[Document]:
        """A ``.kra`` file's stack: its paint layers and their transparency masks, with empty pixels."""
        self.opened_in_batch.append(self._batch)
        try:
            with zipfile.ZipFile(path) as archive:
                if archive.read("mimetype") != b"application/x-krita":
                    return None
                image = ElementTree.fromstring(archive.read("maindoc.xml")).find("{*}IMAGE")
        except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
            return None
        if image is None:
            return None
        model = {"RGBA": ("RGBA", "U8"), "GRAYA": ("GRAYA", "U8")}[image.get("colorspacename", "")]
        document = Document(self, int(image.get("width", 0)), int(image.get("height", 0)),
                                       image.get("name", ""), *model, image.get("profile", ""))
        document._root._children.clear()
        for element in image.iterfind("{*}layers/{*}layer"):
            layer = Node(document, element.get("name", ""), element.get("nodetype", ""), document._space)
            for child in element.iterfind("{*}masks/{*}mask"):
                mask = Node(document, child.get("name", ""), child.get("nodetype", ""), document._space)
                mask._parent = layer
                layer._children.append(mask)
            layer._parent = document._root
            document._root._children.append(layer)
        self._documents.append(document)
        return document

    def activeDocument(self) -> Optional[Document]:
        return self._active

    def setActiveDocument(self, document: Document) -> None:
        self._active = document

    def activeWindow(self) -> Window:
        return self._window

    def action(self, name: str) -> Action:
        return Action(self, name)

    def readSetting(self, group: str, name: str, default: str) -> str:
        return self._settings.get((group, name), default)

    def writeSetting(self, group: str, name: str, value: str) -> None:
        self._settings[(group, name)] = value

    def addExtension(self, extension: Extension) -> None:
        self.extensions_added.append(extension)
