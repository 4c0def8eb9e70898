"""Runs inside Krita (via the test driver): the Dream action from menu to undo, plus adapter checks.

Parameters come from the environment (``DREAMLAYER_E2E_DIR`` holds ``in.png`` and receives
``results.json`` and screenshots; ``DREAMLAYER_E2E_STEPS``/``_PATTERN`` set the dialog).
Every check is recorded by name in results.json for the pytest side to assert on.
"""
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time

from krita import Krita, Selection
from PyQt5.QtCore import QByteArray
from PyQt5.QtWidgets import (QApplication, QCheckBox, QDoubleSpinBox, QMessageBox, QProgressBar, QPushButton, QSpinBox,
                             QWidget)

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.plugin.krita import adapter, apply
from dreamlayer.plugin.krita.host import Application, ColorSpace, Document
from dreamlayer.plugin.krita.pixelbytes import linear_light_layer

OUT = os.environ["DREAMLAYER_E2E_DIR"]
STEPS = int(os.environ.get("DREAMLAYER_E2E_STEPS", "3"))
PATTERN = float(os.environ.get("DREAMLAYER_E2E_PATTERN", "2"))
ENGINE_WAIT = 240.0


def read_source(app, document, composite=False):
    return adapter.read_source(Application(app), Document(document), composite)


def apply_dream(app, document, *args):
    """The plugin's apply on Krita's own objects; the steps end with the new layer's node."""
    layer = yield from apply.apply_dream(Application(app), Document(document), *args)
    return layer.krita


def from_image(app, *args):
    return adapter.from_image(Application(app), *args)


def shoot(name):
    subprocess.run(["import", "-window", "root", os.path.join(OUT, name)], timeout=60)


def layers(document):
    return [node for node in document.topLevelNodes() if not node.type().endswith("mask")]


def tree(document):
    return [(node.name(), node.type(), [(child.name(), child.type()) for child in node.childNodes()])
            for node in layers(document)]


def all_pixels(node, document):
    return bytes(node.pixelData(0, 0, document.width(), document.height()))


def composite(document):
    document.refreshProjection()
    document.waitForDone()
    return bytes(document.pixelData(0, 0, document.width(), document.height()))


def split_by_mask(before, after, mask, pixel_size):
    """(bytes changed where mask == 0, fraction of mask == 255 pixels that changed)."""
    outside_changed = 0
    inside = inside_changed = 0
    for index, weight in enumerate(mask):
        a = before[index * pixel_size:(index + 1) * pixel_size]
        b = after[index * pixel_size:(index + 1) * pixel_size]
        if weight == 0:
            outside_changed += a != b
        elif weight == 255:
            inside += 1
            inside_changed += a != b
    return outside_changed, inside_changed / max(inside, 1)


def soft_selection(width, height):
    """A box in the middle: fully selected core, a soft ramp on its right side."""
    data = bytearray(width * height)
    left, right, top, bottom = width // 4, 3 * width // 4, height // 4, 3 * height // 4
    ramp = max((right - left) // 4, 1)
    for y in range(top, bottom):
        for x in range(left, right):
            data[y * width + x] = 255 if x < right - ramp else 255 * (right - x) // (ramp + 1)
    selection = Selection()
    selection.setPixelData(QByteArray(bytes(data)), 0, 0, width, height)
    return selection, bytes(data)


class Results:
    def __init__(self, driver):
        self.driver = driver
        self.checks, self.details, self.timings = {}, {}, {}

    def check(self, name, ok, detail=None):
        self.checks[name] = bool(ok)
        if detail is not None:
            self.details[name] = detail
        self.driver.log(f"{'ok  ' if ok else 'FAIL'} {name} {detail if detail is not None else ''}")

    def save(self):
        with open(os.path.join(OUT, "results.json"), "w", encoding="utf-8") as handle:
            json.dump({"checks": self.checks, "details": self.details, "timings": self.timings}, handle, indent=2)


def drive_dialog(results, state):
    """Set the dialog up, preview (screenshots mid-preview), then Apply."""
    deadline = time.monotonic() + 60
    dialog = None
    while dialog is None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            results.check("no error message", False, modal.text())
            modal.reject()
            return
        if modal is not None and modal.objectName() == "dreamDialog":
            dialog = modal
        elif time.monotonic() > deadline:
            results.check("dialog opened", False)
            return
        yield 100
    results.check("dialog opened", True)
    use = dialog.findChild(QCheckBox, "useSelection")
    results.check("reopened after a run without selection: Use selection is ticked",
                  use.isChecked() and use.isEnabled() and not dialog.findChild(QCheckBox, "invert").isChecked())
    results.check("reopened on a running engine: the status says so", bool(dialog.status.text()), dialog.status.text())
    dialog.grab().save(os.path.join(OUT, "dialog-reopened-with-selection.png"))
    dialog.findChild(QSpinBox, "steps").setValue(STEPS)
    dialog.findChild(QDoubleSpinBox, "patternSize").setValue(PATTERN)
    preview = dialog.findChild(QPushButton, "preview")
    apply = dialog.findChild(QPushButton, "apply")
    stop = dialog.findChild(QPushButton, "stop")
    started = time.monotonic()
    while not preview.isEnabled():
        if time.monotonic() - started > ENGINE_WAIT:
            results.check("engine ready", False, dialog.status.text())
            dialog.reject()
            return
        yield 200
    results.timings["engine_ready_s"] = time.monotonic() - started
    results.check("engine ready", True)
    preview.click()
    pane = dialog.pane
    bar = dialog.findChild(QProgressBar, "progressBar")
    shot_taken = shot_halfway = False
    started = time.monotonic()
    while stop.isEnabled():  # Preview enabled Stop at once; it goes off when the preview is done
        running = pane.after is not None
        halfway = bar.maximum() > 0 and bar.value() >= 0.4 * bar.maximum()
        if running and (not shot_taken or halfway and not shot_halfway):  # first preview, then a later one
            dialog.grab().save(os.path.join(OUT, "dialog-preview.png"))
            shoot("screen-preview.png")
            shot_taken, shot_halfway = True, halfway
        if time.monotonic() - started > ENGINE_WAIT:
            break
        yield 50
    results.timings["preview_s"] = time.monotonic() - started
    results.check("preview shown mid-run", shot_taken)
    results.check("preview finished", pane.after is not None and not stop.isEnabled(),
                  dialog.status.text())
    dialog.finished.connect(lambda code: state.__setitem__("dialog_closed", time.monotonic()))
    state["apply_clicked"] = time.monotonic()
    apply.click()
    while "dialog_closed" not in state:
        if dialog.status.styleSheet():
            results.check("apply without error", False, dialog.status.text())
            dialog.reject()
            return
        yield 50
    while "finished" not in state:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            results.check("no error message", False, modal.text())
            modal.reject()
        yield 100


def dream_through_menu(results, document, source, other):
    width, height = document.width(), document.height()
    window = Krita.instance().activeWindow()
    homes = [top.text().replace("&", "") for top in window.qwindow().menuBar().actions() if top.menu() is not None
             and any(action.objectName() == "dreamlayer_dream" for action in top.menu().actions())]
    results.check("Dream… is in the Filter menu", homes == ["Filter"], homes)
    selection, mask = soft_selection(width, height)
    document.setSelection(selection)
    document.setActiveNode(source)
    yield 300
    before_tree = tree(document)
    before_layers = {node.name(): all_pixels(node, document) for node in layers(document)}
    before = composite(document)
    state = {}
    results.driver.spawn(drive_dialog(results, state))
    yield 100
    extension = [item for item in Krita.instance().extensions() if type(item).__name__ == "DreamExtension"]
    results.check("the Dream extension is loaded", len(extension) == 1)
    if not extension:
        return
    extension[0].applied.connect(lambda error: state.__setitem__("applied", (time.monotonic(), error)))
    Krita.instance().action("dreamlayer_dream").trigger()
    deadline = time.monotonic() + 60
    while "applied" not in state and time.monotonic() < deadline and "apply_clicked" in state:
        yield 20
    layer_done, error = state.get("applied", (time.monotonic(), "never applied"))
    results.check("the layer was added", not error, error)
    state["finished"] = True
    if "apply_clicked" in state:
        results.timings["apply_to_layer_s"] = round(layer_done - state["apply_clicked"], 2)
        results.timings["dialog_close_to_layer_s"] = round(layer_done - state.get("dialog_closed", layer_done), 2)
    yield 500
    shoot("screen-after.png")
    after_tree = tree(document)
    added = [entry for entry in after_tree if entry not in before_tree]
    results.check("one new layer", len(after_tree) == len(before_tree) + 1 and len(added) == 1, after_tree)
    if len(added) != 1:
        return
    name, kind, children = added[0]
    names = [entry[0] for entry in after_tree]
    results.check("new layer is a paint layer named after the settings",
                  kind == "paintlayer" and name.startswith("Dream ") and "seed" in name, name)
    results.check("new layer sits right above the source", names.index(name) == names.index(source.name()) + 1, names)
    results.check("new layer has a transparency mask", [kind for _, kind in children] == ["transparencymask"], children)
    new_layer = document.nodeByName(name)
    mask_node = new_layer.childNodes()[0] if new_layer.childNodes() else None
    if mask_node is not None:
        results.check("mask equals the (soft) selection", bytes(mask_node.pixelData(0, 0, width, height)) == mask)
    results.check("source layer unchanged", all_pixels(source, document) == before_layers[source.name()])
    results.check("other layer unchanged", all_pixels(other, document) == before_layers[other.name()])
    after = composite(document)
    outside_changed, inside_fraction = split_by_mask(before, after, mask, 4)
    results.check("pixels outside the selection unchanged", outside_changed == 0, outside_changed)
    results.check("pixels inside the selection changed", inside_fraction > 0.5, round(inside_fraction, 3))
    Krita.instance().action("edit_undo").trigger()
    document.waitForDone()
    yield 500
    results.check("one undo restores the layers", tree(document) == before_tree, tree(document))
    results.check("one undo restores the picture", composite(document) == before)
    Krita.instance().action("edit_redo").trigger()
    document.waitForDone()
    yield 500
    results.check("redo brings the layer and mask back", tree(document) == after_tree)
    results.check("redo brings the picture back", composite(document) == after)


def synthetic_dream(image, mask):
    """Stands in for the dialog in the colour-space checks: colours inverted where selected."""
    size = image.depth // 8
    data = bytearray(image.data)
    for pixel, weight in enumerate(mask.data):
        if weight:
            start = pixel * 4 * size
            data[start:start + 3 * size] = bytes(255 - value for value in image.data[start:start + 3 * size])
    return Image(image.width, image.height, bytes(data), image.depth)


def engine_form(read, dream):
    """``dream`` (the pure dream) in the form the plugin asks the engine for. No numpy in Krita's
    Python: the difference layer comes from the same formula in pure Python (tests/test_worker.py
    checks the engine's numpy version against it)."""
    if read.result == "layer":
        return dream
    depth = "U8" if dream.depth == 8 else "U16"
    return Image(dream.width, dream.height, linear_light_layer(read.image.data, dream.data, depth, 4, read.over_layers),
                 dream.depth)


def timed(steps, spent, profile, cpu=None):
    """Drive ``steps`` like ``run_steps`` does, adding the seconds spent inside them (the plugin's
    own code and the Krita calls it makes, not the pauses between) to ``spent``, profiled; and the
    UI thread's CPU seconds in them to ``cpu`` if given (less sensitive to a loaded machine)."""
    while True:
        began, began_cpu = time.perf_counter(), time.thread_time()
        profile.enable()
        try:
            pause = next(steps)
        except StopIteration as stopped:
            return stopped.value
        finally:
            profile.disable()
            spent.append(time.perf_counter() - began)
            if cpu is not None:
                cpu.append(time.thread_time() - began_cpu)
        yield pause


def apply_time(results):
    """A 1024x768 dream in a selection soft all over, applied as the dialog hands it over: the seconds
    Krita's UI thread spends in the plugin's steps, and in its Python alone (recorded, not asserted:
    the machine is shared; apply-profile-*.txt has the breakdown)."""
    app = Krita.instance()
    width, height = 1024, 768
    for label, alpha in (("opaque", 255), ("semi-transparent", 128)):
        document = yield from open_document(app, f"timing {label}", width, height)
        source = layers(document)[0]
        pixels = bytearray(bytes(range(256)) * (width * height * 4 // 256))
        pixels[3::4] = bytes([alpha]) * (width * height)
        source.setPixelData(QByteArray(bytes(pixels)), 0, 0, width, height)
        selection = Selection()  # soft everywhere: a ramp from 0 on the left to 255 on the right
        selection.setPixelData(QByteArray(bytes(x * 255 // (width - 1) for x in range(width)) * height), 0, 0,
                               width, height)
        document.setSelection(selection)
        document.setActiveNode(source)
        yield 300
        read = read_source(app, document)
        dream = bytearray(read.image.data.translate(bytes(range(255, -1, -1))))
        dream[3::4] = read.image.data[3::4]
        handed = engine_form(read, Image(width, height, bytes(dream), 8))
        spent, profile = [], cProfile.Profile()
        began = time.perf_counter()
        layer = yield from timed(apply_dream(app, document, read, handed, read.mask, "Dream timing"), spent, profile)
        with open(os.path.join(OUT, f"apply-profile-{label}.txt"), "w", encoding="utf-8") as handle:
            stats = pstats.Stats(profile, stream=handle)
            stats.sort_stats("tottime").print_stats(25)
        own = sum(entry[2] for (path, _, _), entry in stats.stats.items() if path != "~")  # not Krita's calls
        results.timings[f"apply 1024x768 soft mask {label}: plugin Python s"] = round(own, 4)
        results.timings[f"apply 1024x768 soft mask {label} ({read.result}): plugin s"] = round(sum(spent), 3)
        results.timings[f"apply 1024x768 soft mask {label}: wall s"] = round(time.perf_counter() - began, 3)
        results.check(f"timing {label}: the layer is masked", [c.type() for c in layer.childNodes()] ==
                      ["transparencymask"])
        yield from close_unsaved(document)


def open_document(app, name, width, height, model="RGBA", depth="U8"):
    """A new document shown in the window (the dialog and the actions need a view)."""
    document = app.createDocument(width, height, name, model, depth, "", 72.0)
    app.activeWindow().addView(document)
    yield 300
    return document


def select_rect(document, node, x, y, width, height):
    """A hard rectangular selection, with ``node`` the active layer: what a painter sets up."""
    selection = Selection()
    selection.select(x, y, width, height, 255)
    document.setSelection(selection)
    document.setActiveNode(node)


def close_unsaved(document):
    document.setModified(False)
    document.close()
    yield 200


def colour_spaces(results):
    """Adapter and apply on 16-bit, float, CMYK, greyscale and Lab documents."""
    app = Krita.instance()
    for model, depth in (("RGBA", "U16"), ("RGBA", "F32"), ("CMYKA", "U8"), ("GRAYA", "U16"), ("LABA", "U8")):
        document = yield from open_document(app, f"{model} {depth}", 48, 32, model, depth)
        source = layers(document)[0]
        paint = bytearray(all_pixels(source, document))
        step = len(paint) // (48 * 32)
        for index in range(0, len(paint), step * 7):
            paint[index:index + step // 2] = bytes(step // 2)
        source.setPixelData(QByteArray(bytes(paint)), 0, 0, 48, 32)
        select_rect(document, source, 8, 8, 24, 16)
        yield 200
        label = f"{model}/{depth}"
        before_source = all_pixels(source, document)
        before = composite(document)
        count = len(layers(document))
        try:
            read = read_source(app, document)
            layer = yield from apply_dream(app, document, read, synthetic_dream(read.image, read.mask), read.mask,
                                           "Dream test")
        except Exception as error:  # recorded, not raised: the other spaces still get checked
            results.check(f"{label}: dream applied", False, f"{type(error).__name__}: {error}")
            continue
        yield 300
        results.check(f"{label}: dream applied", len(layers(document)) == count + 1 and
                      [child.type() for child in layer.childNodes()] == ["transparencymask"])
        expected_depth = 8 if (model, depth) == ("RGBA", "U8") else 16
        results.check(f"{label}: image read at 8 or 16 bits", read.image.depth == expected_depth, read.image.depth)
        results.check(f"{label}: source unchanged", all_pixels(source, document) == before_source)
        after = composite(document)
        outside, inside = split_by_mask(before, after, bytes(read.mask.data), len(before) // (48 * 32))
        results.check(f"{label}: only the selection changed", outside == 0 and inside > 0.5, (outside, inside))
        app.action("edit_undo").trigger()
        document.waitForDone()
        yield 400
        results.check(f"{label}: one undo restores", len(layers(document)) == count and composite(document) == before)
        yield from close_unsaved(document)


def visible_composite(results):
    """Dream From Visible Layers: the composite is read and the layer goes on top."""
    app = Krita.instance()
    document = yield from open_document(app, "composite", 40, 30)
    bottom = layers(document)[0]
    top = document.createNode("Half", "paintlayer")
    top.setPixelData(QByteArray(bytes((0, 0, 200, 128)) * (40 * 30)), 0, 0, 40, 30)
    document.rootNode().addChildNode(top, bottom)
    select_rect(document, bottom, 10, 10, 20, 10)
    yield 300
    before = composite(document)
    read = read_source(app, document, composite=True)
    results.check("visible: the composite is read", read.image.data[:4] == bytes((before[2], before[1], before[0],
                                                                                     before[3])))
    layer = yield from apply_dream(app, document, read, synthetic_dream(read.image, read.mask), read.mask,
                                   "Dream visible")
    yield 300
    results.check("visible: the layer goes on top", [node.name() for node in layers(document)][-1] == layer.name())
    after = composite(document)
    outside, inside = split_by_mask(before, after, bytes(read.mask.data), 4)
    results.check("visible: only the selection changed", outside == 0 and inside > 0.5, (outside, inside))
    yield from close_unsaved(document)


def inverted_selection(results):
    """A dream outside the selection (Invert ticked): the layer's mask is the inverted selection."""
    app = Krita.instance()
    document = yield from open_document(app, "inverted", 40, 30)
    source = layers(document)[0]
    select_rect(document, source, 10, 10, 20, 10)
    yield 300
    before = composite(document)
    read = read_source(app, document)
    used = Mask(read.mask.width, read.mask.height, bytes(255 - value for value in read.mask.data))
    layer = yield from apply_dream(app, document, read, synthetic_dream(read.image, used), used, "Dream inverted")
    yield 300
    masks = [child for child in layer.childNodes() if child.type() == "transparencymask"]
    results.check("inverted: the layer's mask is the mask the dream used",
                  len(masks) == 1 and all_pixels(masks[0], document) == used.data)
    outside, inside = split_by_mask(before, composite(document), used.data, 4)
    results.check("inverted: only outside the selection changed", outside == 0 and inside > 0.5, (outside, inside))
    results.check("inverted: the selection is unchanged",
                  bytes(document.selection().pixelData(0, 0, 40, 30)) == read.mask.data)
    app.action("edit_undo").trigger()
    document.waitForDone()
    yield 400
    results.check("inverted: one undo restores", len(layers(document)) == 1 and composite(document) == before)
    yield from close_unsaved(document)


def modal_of(kind, name=None, seconds=60.0):
    """Wait for a modal widget of ``kind`` (and object name); None if none came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and (name is None or modal.objectName() == name):
            return modal
        yield 50
    return None


def cancel_without_selection(results, document, source):
    """Fresh settings: open the dialog with nothing selected and cancel, as a painter might first."""
    document.setSelection(None)
    document.setActiveNode(source)
    yield 200
    seen = {}

    def close_it():
        dialog = yield from modal_of(QWidget, "dreamDialog")
        seen["use"] = dialog is not None and dialog.findChild(QCheckBox, "useSelection").isChecked()
        if dialog is not None:
            dialog.reject()

    results.driver.spawn(close_it())
    yield 50
    Krita.instance().action("dreamlayer_dream").trigger()
    while "use" not in seen:
        yield 50
    results.check("without a selection the dialog opened and was cancelled", seen["use"] is False, seen)


def emptied_selection(results):
    """A selection made, then cleared (0x0): nothing is dreamed and the painter is told why."""
    app = Krita.instance()
    document = yield from open_document(app, "emptied", 40, 30)
    source = layers(document)[0]
    select_rect(document, source, 5, 5, 20, 10)
    emptied = document.selection()
    emptied.clear()
    document.setSelection(emptied)
    yield 300
    seen = {}

    def answer():
        modal = yield from modal_of((QMessageBox, QWidget), seconds=20)
        seen["text"] = modal.text() if isinstance(modal, QMessageBox) else getattr(modal, "objectName", str)()
        if modal is not None:
            modal.reject()

    results.driver.spawn(answer())
    yield 50
    app.action("dreamlayer_dream").trigger()
    while "text" not in seen:
        yield 50
    results.check("emptied selection: the painter is told, no dialog", "selection is empty" in seen["text"], seen)
    results.check("emptied selection: nothing added", len(layers(document)) == 1, tree(document))
    yield from close_unsaved(document)


GLAZE_ALPHAS = (255, 128, 30)  # three bands, left to right
GLAZE_MARGIN = 5  # rows above and below the selection


def glaze_document(app, model, depth, width, height):
    """An orange layer under a colourful layer in three bands of alpha (255, ~128, ~30), in a
    document of the given colour space."""
    document = yield from open_document(app, f"glaze {model} {depth}", width, height, model, depth)
    background = layers(document)[0]
    bounds = Bounds(0, 0, width, height)
    space = ColorSpace.of(background)
    orange = Image(width, height, bytes((230, 110, 40, 255)) * (width * height), 8)
    background.setPixelData(QByteArray(from_image(app, orange, bounds, space)), 0, 0, width, height)
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            pixels += bytes((255 - (x * 3) % 256, (y * 11) % 256, (x * 7) % 256, GLAZE_ALPHAS[min(3 * x // width, 2)]))
    glaze = document.createNode("Glaze", "paintlayer")
    glaze.setPixelData(QByteArray(from_image(app, Image(width, height, bytes(pixels), 8), bounds, space)), 0, 0,
                       width, height)
    document.rootNode().addChildNode(glaze, background)
    yield 200
    document.setActiveNode(glaze)
    yield 200
    return document, glaze


def plain_layer_composite(app, document, glaze, read, dreamed):
    """The composite with ``dreamed`` as a plain layer keeping the source's alpha, as before the fix."""
    plain = document.createNode("Plain", "paintlayer")
    plain.setPixelData(QByteArray(from_image(app, dreamed, read.bounds, ColorSpace.of(glaze))), 0, 0,
                       read.bounds.width, read.bounds.height)
    document.rootNode().addChildNode(plain, glaze)
    yield 300
    shown = composite(document)
    plain.remove()
    yield 300
    return shown


def properties(node):
    return (node.blendingMode(), node.opacity(), node.visible(), node.inheritAlpha(), node.alphaLocked())


def band_brightness(data, width, height, band, channels=4):
    """Mean of (R + G + B) / 3 over one band, in the selected rows (8-bit BGRA bytes)."""
    total = count = 0
    for y in range(GLAZE_MARGIN, height - GLAZE_MARGIN):
        for x in range(band * width // 3 + 2, (band + 1) * width // 3 - 2):
            at = (y * width + x) * channels
            total += sum(data[at:at + 3]) / 3
            count += 1
    return round(total / count, 1)


def worst_difference(first, second, depth):
    """The largest difference between two pixel buffers, in 8-bit levels."""
    if depth == "U8":
        return max(abs(a - b) for a, b in zip(first, second))
    if depth == "U16":
        ints = lambda data: [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]  # noqa: E731
        return max(abs(a - b) for a, b in zip(ints(first), ints(second))) / 257
    import array
    floats = array.array("f", first), array.array("f", second)
    return max(abs(a - b) for a, b in zip(*floats)) * 255


def semi_transparent(results):
    """A semi-transparent layer over a coloured one: with the dream visible, the composite is the
    dream of that layer (within a few levels) at alpha 255, ~128 and ~30; the source is untouched."""
    app = Krita.instance()
    width, height = 120, 40
    for model, depth in (("RGBA", "U8"), ("RGBA", "U16"), ("GRAYA", "U16")):
        label = f"semi-transparent {model}/{depth}"
        document, glaze = yield from glaze_document(app, model, depth, width, height)
        select_rect(document, glaze, 0, GLAZE_MARGIN, width, height - 2 * GLAZE_MARGIN)
        yield 200
        before = composite(document)
        glaze_before, glaze_properties = all_pixels(glaze, document), properties(glaze)
        read = read_source(app, document)
        dreamed = synthetic_dream(read.image, read.mask)
        layer = yield from apply_dream(app, document, read, engine_form(read, dreamed), read.mask, "Dream glaze")
        yield 300
        shown = composite(document)
        if (model, depth) == ("RGBA", "U8"):
            shoot("screen-semi-transparent.png")
        results.check(f"{label}: source pixels and properties unchanged",
                      all_pixels(glaze, document) == glaze_before and properties(glaze) == glaze_properties)
        results.check(f"{label}: the dream layer is masked", [c.type() for c in layer.childNodes()] ==
                      ["transparencymask"], tree(document))
        app.action("edit_undo").trigger()
        document.waitForDone()
        yield 400
        results.check(f"{label}: one undo restores", len(layers(document)) == 2 and composite(document) == before)
        if (model, depth) == ("RGBA", "U8"):  # for the figures: the old plain layer, and a dream that changed nothing
            plain_shown = yield from plain_layer_composite(app, document, glaze, read, dreamed)
            unchanged = {"plain layer (before the fix)": (yield from plain_layer_composite(app, document, glaze, read,
                                                                                            read.image))}
            yield from apply_dream(app, document, read, engine_form(read, read.image), read.mask, "Dream of nothing")
            yield 300
            unchanged["result"] = composite(document)
            app.action("edit_undo").trigger()
            document.waitForDone()
            yield 400
        glaze.setPixelData(QByteArray(from_image(app, dreamed, read.bounds, ColorSpace.of(glaze))), 0, 0,
                           width, height)
        yield 300
        wanted = composite(document)
        worst = worst_difference(shown, wanted, depth)
        results.check(f"{label}: the composite is the dream of the layer", worst <= 3, round(worst, 2))
        if (model, depth) == ("RGBA", "U8"):
            figures = {f"alpha {alpha}": {what: band_brightness(data, width, height, band) for what, data in
                                          (("source", before), ("dream of the layer", wanted),
                                           ("plain layer (before the fix)", plain_shown), ("result", shown))}
                       for band, alpha in enumerate(GLAZE_ALPHAS)}
            figures["a dream that changes nothing, alpha 128"] = {
                what: band_brightness(data, width, height, 1) for what, data in
                (("source", before), *unchanged.items())}
            results.details["semi-transparent brightness"] = figures
            results.driver.log(f"brightness {figures}")
            plain_worst = worst_difference(plain_shown, wanted, depth)
            results.check("semi-transparent: a plain layer would not do (control)", plain_worst > 20, plain_worst)
        yield from close_unsaved(document)


def main(driver):
    results = Results(driver)
    try:
        app = Krita.instance()
        results.check("Krita version", True, app.version())
        app.activeWindow().qwindow().setGeometry(0, 0, 1400, 900)  # no window manager to maximize it
        document = app.openDocument(os.path.join(OUT, "in.png"))
        app.activeWindow().addView(document)
        yield 800
        if app.action("zoom_to_fit") is not None:
            app.action("zoom_to_fit").trigger()
        source = layers(document)[0]
        other = document.createNode("Sticker", "paintlayer")
        width, height = document.width(), document.height()
        sticker = bytearray(width * height * 4)
        for y in range(4, 20):
            for x in range(4, 20):
                sticker[(y * width + x) * 4:(y * width + x + 1) * 4] = bytes((40, 200, 40, 255))
        other.setPixelData(QByteArray(bytes(sticker)), 0, 0, width, height)
        document.rootNode().addChildNode(other, source)
        yield 300
        yield from cancel_without_selection(results, document, source)
        yield from dream_through_menu(results, document, source, other)
        yield from emptied_selection(results)
        yield from semi_transparent(results)
        yield from apply_time(results)
        if os.environ.get("DREAMLAYER_E2E_COLOUR_SPACES", "1") == "1":
            yield from colour_spaces(results)
            yield from visible_composite(results)
            yield from inverted_selection(results)
        if os.environ.get("DREAMLAYER_E2E_SERVE_PORT"):  # last: it leaves the shared engine client remote
            sys.path.insert(0, os.path.dirname(__file__))
            from scenario_remote import remote_engine
            yield from remote_engine(results, open_document, select_rect, layers, all_pixels, composite, shoot)
    finally:
        results.save()
