"""The Krita adapter, apply and command against a small stub of Krita's API (tests/krita_stub)."""
from __future__ import annotations

import os
import random
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from PyQt5.QtCore import QByteArray

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent / "krita_stub"))

import krita  # noqa: E402  (the stub)

from dreamlayer.pixels import Bounds, Image, Mask  # noqa: E402
from dreamlayer.plugin.krita import adapter, apply, command  # noqa: E402
from dreamlayer.plugin.krita.adapter import KritaAdapterError  # noqa: E402
from dreamlayer.plugin.krita.host import Application, ColorSpace, Document, Layer  # noqa: E402
from dreamlayer.plugin.krita.template import MASK_NAME, kra_bytes, open_template, write_kra  # noqa: E402
from dreamlayer.engine.wire import difference_layer, image_to_float  # noqa: E402
from dreamlayer.plugin.krita.pixelbytes import has_partial_alpha, swap_red_blue  # noqa: E402
from dreamlayer.settings import DreamSettings  # noqa: E402
from dreamlayer.ui.outcome import Outcome  # noqa: E402

W, H = 12, 8
BOX = (3, 2, 6, 4)  # x, y, w, h of the test selection


def read_source(app, document, composite=False):
    return adapter.read_source(Application(app), Document(document), composite)


def apply_dream(app, document, *args):
    """apply.apply_dream on the stub's objects; the steps end with the new layer's Krita node."""
    layer = yield from apply.apply_dream(Application(app), Document(document), *args)
    return layer.krita


def dream_on_document(app, document, *args, **kwargs):
    steps = command.dream_on_document(Application(app), Document(document), *args, **kwargs)
    return None if steps is None else apply_steps_as_nodes(steps)


def apply_steps_as_nodes(steps):
    layer = yield from steps
    return layer.krita


def finish(steps):
    """Run apply's steps without an event loop (the stub finishes every step at once)."""
    try:
        while True:
            next(steps)
    except StopIteration as stopped:
        return stopped.value


def bgra_pixels(seed: int, depth: str = "U8", model: str = "RGBA") -> bytes:
    rng = random.Random(seed)
    size = krita._pixel_size(model, depth)
    out = bytearray(rng.randrange(256) for _ in range(W * H * size))
    step = krita.BYTES[depth]
    for pixel in range(W * H):  # opaque, so the composite shows the layer itself
        alpha = pixel * size + size - step
        out[alpha:alpha + step] = b"\xff" * step
    return bytes(out)


def make_document(app, model="RGBA", depth="U8", selection=True, soft=False):
    document = app.createDocument(W, H, "test", model, depth, "", 72.0)
    app.setActiveDocument(document)
    background = document.topLevelNodes()[0]
    background.setPixelData(QByteArray(bgra_pixels(1, depth, model)), 0, 0, W, H)
    sticker = document.createNode("Sticker", "paintlayer")
    sticker_pixels = bytearray(W * H * krita._pixel_size(model, depth))
    sticker_pixels[:krita._pixel_size(model, depth)] = b"\x80" * krita._pixel_size(model, depth)
    sticker.setPixelData(QByteArray(bytes(sticker_pixels)), 0, 0, W, H)
    document.rootNode().addChildNode(sticker, background)
    document.setActiveNode(background)
    if selection:
        chosen = krita.Selection()
        x, y, w, h = BOX
        chosen.select(x, y, w, h, 255)
        if soft:
            chosen.select(x + w - 2, y, 2, h, 100)
        document.setSelection(chosen)
    document.undo_stack.clear()
    return document


def inverted(image: Image, mask: Mask | None) -> Image:
    """What the dialog might return: colours inverted, mixed in by the mask like the engine does."""
    size = image.depth // 8
    top = (1 << image.depth) - 1
    samples = [int.from_bytes(image.data[i:i + size], "little") for i in range(0, len(image.data), size)]
    for pixel in range(image.width * image.height):
        weight = 255 if mask is None else mask.data[pixel]
        for channel in range(3):
            value = samples[pixel * 4 + channel]
            samples[pixel * 4 + channel] = value + ((top - 2 * value) * weight + 127) // 255
    return Image(image.width, image.height, b"".join(v.to_bytes(size, "little") for v in samples), image.depth)


@pytest.fixture
def app(qapp):
    return krita.Krita.reset()


# --- bytes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [8, 16])
def test_swap_red_blue_swaps_only_red_and_blue(depth):
    size = depth // 8
    pixel = b"".join(bytes([n] * size) for n in (1, 2, 3, 4))
    assert swap_red_blue(pixel * 3, depth) == b"".join(bytes([n] * size) for n in (3, 2, 1, 4)) * 3
    assert swap_red_blue(swap_red_blue(pixel, depth), depth) == pixel


@pytest.mark.parametrize("depth", [8, 16])
def test_partial_alpha_is_found_in_either_byte_of_a_sample(depth):
    size = depth // 8
    whole = b"".join(bytes([9] * size * 3) + bytes([value] * size) for value in (0, 255, 255, 0))
    assert not has_partial_alpha(Image(4, 1, whole, depth))
    for partial in ((b"\x80",) if depth == 8 else (b"\x00\x80", b"\xff\x00", b"\x01\x00", b"\xff\xfe")):
        assert has_partial_alpha(Image(4, 1, whole[:-size] + partial, depth)), partial


# --- reading --------------------------------------------------------------------------------------

def test_read_source_gives_rgba_and_the_selection(app):
    document = make_document(app, soft=True)
    source = read_source(app, document)
    krita_bytes = bgra_pixels(1)
    assert (source.image.width, source.image.height, source.image.depth) == (W, H, 8)
    assert source.image.data[0:4] == bytes([krita_bytes[2], krita_bytes[1], krita_bytes[0], krita_bytes[3]])
    assert source.mask.data == bytes(document.selection().pixelData(0, 0, W, H))
    assert 100 in source.mask.data and 255 in source.mask.data
    assert source.anchor.name == "Background"
    assert source.parent.krita is document.rootNode()


def test_read_source_without_selection_dreams_everywhere(app):
    source = read_source(app, make_document(app, selection=False))
    assert source.mask is None and source.selection is None


def test_a_selected_mask_means_its_layer(app):
    document = make_document(app)
    background = document.topLevelNodes()[0]
    mask = document.createNode("old mask", "transparencymask")
    background.addChildNode(mask, None)
    document.setActiveNode(mask)
    assert read_source(app, document).anchor.krita is background


def test_visible_composite_goes_on_top(app):
    document = make_document(app)
    source = read_source(app, document, composite=True)
    assert source.anchor.name == "Sticker"
    assert source.image.data == swap_red_blue(bytes(document.pixelData(0, 0, W, H)), 8)


def test_sixteen_bit_documents_read_at_sixteen_bits(app):
    source = read_source(app, make_document(app, depth="U16"))
    assert source.image.depth == 16
    assert source.image.data == swap_red_blue(bgra_pixels(1, "U16"), 16)


def test_other_colour_models_convert_in_a_scratch_document(app):
    document = make_document(app, model="GRAYA", depth="U8")
    source = read_source(app, document)
    assert source.image.depth == 16
    grey = bgra_pixels(1, "U8", "GRAYA")
    assert source.image.data[0:2] == source.image.data[2:4] == source.image.data[4:6]
    assert int.from_bytes(source.image.data[0:2], "little") == grey[0] * 257
    assert document.undo_stack == []
    assert app.documents() == [document]


def test_a_selection_outside_the_canvas_is_a_clear_error(app):
    document = make_document(app, selection=False)
    outside = krita.Selection()
    outside.select(W + 5, H + 5, 4, 4, 255)
    document.setSelection(outside)
    with pytest.raises(KritaAdapterError, match="selection is empty or lies outside"):
        read_source(app, document)


def test_an_emptied_selection_dreams_nowhere_and_says_so(app):
    document = make_document(app)
    emptied = document.selection()
    emptied.clear()
    document.setSelection(emptied)
    assert (emptied.width(), emptied.height()) == (0, 0)
    with pytest.raises(KritaAdapterError, match="selection is empty .* Deselect to dream on the whole layer"):
        read_source(app, document)
    assert document.undo_stack == []


# --- applying -------------------------------------------------------------------------------------

def snapshot(document):
    return {node.name(): bytes(node.pixelData(0, 0, W, H)) for node in document.topLevelNodes()}


def inverse(mask: Mask) -> Mask:
    """The selection inverted, as the engine hands it back when the painter ticked Invert."""
    return Mask(mask.width, mask.height, bytes(255 - value for value in mask.data))


def assert_shows(document, before: bytes, dream: Image, mask: Mask | None) -> None:
    """The composite is the dream where the mask lets it through and untouched where it is 0
    (pixel 0 only in part: the half-transparent Sticker lies over it)."""
    after = bytes(document.pixelData(0, 0, W, H))
    shown = swap_red_blue(after, 8)
    for pixel in range(W * H):
        if mask is not None and mask.data[pixel] == 0:
            assert after[pixel * 4:pixel * 4 + 4] == before[pixel * 4:pixel * 4 + 4]
        elif pixel != 0:
            for channel in range(3):
                assert abs(shown[pixel * 4 + channel] - dream.data[pixel * 4 + channel]) <= 1


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_apply_adds_one_masked_layer_in_one_undo_step(app, soft):
    document = make_document(app, soft=soft)
    before_layers, before = snapshot(document), bytes(document.pixelData(0, 0, W, H))
    source = read_source(app, document)
    dream = inverted(source.image, source.mask)  # what the composite should show: the engine's blend
    layer = finish(apply_dream(app, document, source, inverted(source.image, None), source.mask, "Dream test seed 0"))

    names = [node.name() for node in document.topLevelNodes()]
    assert names == ["Background", "Dream test seed 0", "Sticker"]
    assert [(m.name(), m.type()) for m in layer.childNodes()] == [(MASK_NAME, "transparencymask")]
    assert bytes(layer.childNodes()[0].pixelData(0, 0, W, H)) == source.mask.data
    assert len(document.undo_stack) == 1 and layer.visible()
    # the mask came with a copy of the template's layer: no action ran, and the template is closed again
    assert app.triggered == [] and app.documents() == [document]
    assert app.opened_in_batch == [True] and not app.batchmode()  # Krita's notes on the file stay in its log
    assert {name: data for name, data in snapshot(document).items() if name in before_layers} == before_layers
    assert_shows(document, before, dream, source.mask)
    document.undo()
    assert [node.name() for node in document.topLevelNodes()] == ["Background", "Sticker"]
    assert bytes(document.pixelData(0, 0, W, H)) == before
    document.redo()
    assert [node.name() for node in document.topLevelNodes()] == names


def test_a_dream_kept_to_a_region_fills_only_that_part_and_shows_the_same(app):
    document = make_document(app, soft=True)
    before = bytes(document.pixelData(0, 0, W, H))
    source = read_source(app, document)
    pure = inverted(source.image, None)
    region = Bounds(2, 1, 8, 6)  # the selection's box (BOX) and a pixel of context around it
    outside = [p for p in range(W * H) if not (2 <= p % W < 10 and 1 <= p // W < 7)]
    # outside the region the engine's pure dream is the picture itself
    dreamed = Image(W, H, b"".join((source.image if p in outside else pure).data[p * 4:p * 4 + 4]
                                   for p in range(W * H)))
    layer = finish(apply_dream(app, document, source, dreamed, source.mask, "Dream region", region))
    pixels, mask = bytes(layer.pixelData(0, 0, W, H)), bytes(layer.childNodes()[0].pixelData(0, 0, W, H))
    assert all(pixels[p * 4:p * 4 + 4] == bytes(4) for p in outside)  # nothing written there
    assert all(mask[p] == 0 for p in outside) and mask == source.mask.data
    assert swap_red_blue(bytes(layer.pixelData(2, 1, 8, 6)), 8) == dreamed.crop(region).data
    assert_shows(document, before, inverted(source.image, source.mask), source.mask)
    assert len(document.undo_stack) == 1
    document.undo()
    assert bytes(document.pixelData(0, 0, W, H)) == before


def test_a_region_outside_the_picture_is_refused_and_nothing_changes(app):
    document = make_document(app)
    before = snapshot(document)
    source = read_source(app, document)
    with pytest.raises(KritaAdapterError, match="lies outside the picture"):
        finish(apply_dream(app, document, source, inverted(source.image, None), source.mask, "Dream",
                           Bounds(8, 4, 8, 8)))
    assert snapshot(document) == before and document.undo_stack == [] and app.documents() == [document]


def test_an_inverted_selection_masks_the_layer_with_the_inverted_mask(app):
    document = make_document(app, soft=True)
    before = bytes(document.pixelData(0, 0, W, H))
    source = read_source(app, document)
    used = inverse(source.mask)
    dream = inverted(source.image, used)
    layer = finish(apply_dream(app, document, source, inverted(source.image, None), used, "Dream inverted"))
    assert [(m.name(), m.type()) for m in layer.childNodes()] == [(MASK_NAME, "transparencymask")]
    assert bytes(layer.childNodes()[0].pixelData(0, 0, W, H)) == used.data
    assert 155 in used.data and len(document.undo_stack) == 1
    assert_shows(document, before, dream, used)
    assert bytes(document.selection().pixelData(0, 0, W, H)) == source.mask.data
    document.undo()
    assert bytes(document.pixelData(0, 0, W, H)) == before


def test_without_selection_the_layer_is_the_whole_dream(app):
    document = make_document(app, selection=False)
    source = read_source(app, document)
    dream = inverted(source.image, None)
    layer = finish(apply_dream(app, document, source, dream, None, "Dream all"))
    assert layer.childNodes() == [] and len(document.undo_stack) == 1
    assert swap_red_blue(bytes(layer.pixelData(0, 0, W, H)), 8) == dream.data
    assert [node.name() for node in document.topLevelNodes()] == ["Background", "Dream all", "Sticker"]


def test_apply_converts_back_to_the_document_colour_model(app):
    document = make_document(app, model="GRAYA", depth="U16")
    source = read_source(app, document)
    layer = finish(apply_dream(app, document, source, inverted(source.image, source.mask), source.mask, "Dream grey"))
    assert (layer.colorModel(), layer.colorDepth()) == ("GRAYA", "U16")
    assert len(document.undo_stack) == 1 and app.documents() == [document]
    grey = bgra_pixels(1, "U16", "GRAYA")
    x, y = BOX[0], BOX[1]
    at = (y * W + x) * 4
    original = int.from_bytes(grey[at:at + 2], "little")
    assert abs(int.from_bytes(bytes(layer.pixelData(x, y, 1, 1))[:2], "little") - (65535 - original)) <= 1


def test_the_template_is_one_layer_with_an_empty_mask_in_the_pictures_colour_space(app, tmp_path, monkeypatch):
    files = kra_bytes()
    assert list(files)[0] == "mimetype" and files["mimetype"] == b"application/x-krita"
    write_kra(str(tmp_path / "t.kra"))
    with zipfile.ZipFile(tmp_path / "t.kra") as archive:  # Krita finds the format by its first, stored member
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    template = open_template(Application(app), ColorSpace("GRAYA", "U16", "Gray-D50-elle-V2-srgbtrc.icc"))
    (layer,) = template.top_layers()
    assert [(mask.name, mask.kind) for mask in layer.masks()] == [(MASK_NAME, "transparencymask")]
    assert layer.space == ColorSpace("GRAYA", "U16", "Gray-D50-elle-V2-srgbtrc.icc")
    assert set(layer.masks()[0].pixels(template.bounds)) == {0}  # hides everything until it is written
    assert list(scratch.iterdir()) == []  # the file it opened is gone
    template.discard()
    assert app.documents() == []


def test_a_template_krita_cannot_open_is_one_clear_error_and_no_change(app, monkeypatch):
    document = make_document(app)
    before = snapshot(document)
    source = read_source(app, document)
    monkeypatch.setattr(app, "openDocument", lambda path: None)
    with pytest.raises(KritaAdapterError, match="could not open the dream layer's template"):
        finish(apply_dream(app, document, source, inverted(source.image, None), source.mask, "Dream"))
    assert snapshot(document) == before and document.undo_stack == [] and not app.batchmode()


def test_a_dream_of_the_wrong_size_is_refused(app):
    document = make_document(app)
    source = read_source(app, document)
    with pytest.raises(KritaAdapterError, match="size"):
        finish(apply_dream(app, document, source, Image(1, 1, bytes(4)), source.mask, "Dream"))
    assert [node.name() for node in document.topLevelNodes()] == ["Background", "Sticker"]


@pytest.mark.parametrize("selection", [True, False], ids=["wrong size", "no selection"])
def test_a_mask_that_does_not_fit_the_picture_is_refused(app, selection):
    document = make_document(app, selection=selection)
    source = read_source(app, document)
    mask = Mask(1, 1, b"\xff") if selection else Mask(W, H, b"\xff" * (W * H))
    with pytest.raises(KritaAdapterError, match="mask does not fit"):
        finish(apply_dream(app, document, source, source.image, mask, "Dream"))
    assert [node.name() for node in document.topLevelNodes()] == ["Background", "Sticker"]


# --- the command ----------------------------------------------------------------------------------

def test_cancelling_the_dialog_changes_nothing(app):
    document = make_document(app)
    seen = {}

    def dialog(image, mask, engine_python, parent, **described):
        seen.update(image=image, mask=mask, engine=engine_python, **described)
        return None

    assert dream_on_document(app, document, "/engine/python", dialog=dialog) is None
    assert seen["engine"] == "/engine/python" and seen["image"].width == W and seen["mask"] is not None
    assert document.undo_stack == []


def test_the_command_applies_what_the_dialog_returns(app):
    document = make_document(app)
    used = []

    def dialog(image, mask, engine_python, parent, **described):
        used.append(inverse(mask))  # the painter ticked Invert
        assert (described["result"], described["by_alpha"]) == ("layer", False)
        return Outcome(inverted(image, None), used[0], DreamSettings(seed=7),
                       "Dream efficientnet-lite0 blocks.9 seed 7", described["result"])

    layer = finish(dream_on_document(app, document, "/engine/python", dialog=dialog))
    assert layer.name() == "Dream efficientnet-lite0 blocks.9 seed 7"
    assert document.activeNode() is layer
    assert bytes(layer.childNodes()[0].pixelData(0, 0, W, H)) == used[0].data


def test_the_same_dream_twice_gives_two_layers_a_painter_can_tell_apart(app):
    document = make_document(app, selection=False)
    names = []
    for _ in range(3):
        source = read_source(app, document)
        names.append(finish(apply_dream(app, document, source, inverted(source.image, None), None,
                                        "Dream m blocks.9 seed 0")).name())
    assert names == ["Dream m blocks.9 seed 0", "Dream m blocks.9 seed 0 (2)", "Dream m blocks.9 seed 0 (3)"]


@pytest.mark.parametrize("model, depth, words, grey", [("RGBA", "U8", "RGB, 8-bit", False),
                                                       ("GRAYA", "U16", "greyscale, 16-bit", True)])
def test_the_dialog_is_told_the_documents_colour_space(app, model, depth, words, grey):
    document = make_document(app, model=model, depth=depth)
    seen = {}

    def dialog(image, mask, engine_python, parent, **described):
        seen.update(described, depth=image.depth)

    dream_on_document(app, document, "/engine/python", dialog=dialog)
    assert (seen["colour"], seen["greyscale"]) == (words, grey)


def test_colour_spaces_are_described_as_painters_know_them():
    from dreamlayer.plugin.krita.adapter import describe
    from dreamlayer.plugin.krita.host import ColorSpace

    assert describe(ColorSpace("CMYKA", "U8", "")) == "CMYK, 8-bit"
    assert describe(ColorSpace("RGBA", "F32", "")) == "RGB, 32-bit float"
    assert describe(ColorSpace("LABA", "U16", "")) == "Lab, 16-bit"


def test_the_extension_puts_dream_in_the_filter_menu(app):
    from dreamlayer.plugin.krita import extension

    dream = extension.DreamExtension(app, "/nowhere")
    window = app.activeWindow()
    dream.createActions(window)
    action, menu = window.created[extension.DREAM_ACTION]
    assert (action.text(), menu) == ("Dream…", "filter")
    visible, menu = window.created[extension.VISIBLE_ACTION]
    assert visible.isCheckable() and not visible.isChecked() and menu == "filter"
    visible.setChecked(True)
    assert app.readSetting(extension.SETTINGS_GROUP, extension.VISIBLE_SETTING, "") == "true"


def see_through(app, alpha: int, over_layers: bool = True, selection: bool = False):
    """A document whose active layer is semi-transparent (``alpha``) over an opaque coloured layer
    (or over nothing): the composite shows both."""
    document = make_document(app, selection=selection)
    background = document.topLevelNodes()[0]
    background.setPixelData(QByteArray(bytes((40, 80, 200, 255)) * (W * H)), 0, 0, W, H)
    layer = document.createNode("Glaze", "paintlayer")
    pixels = bytearray(bgra_pixels(2))
    pixels[3::4] = bytes([alpha]) * (W * H)
    layer.setPixelData(QByteArray(bytes(pixels)), 0, 0, W, H)
    document.rootNode().addChildNode(layer, background)
    background.setVisible(over_layers)
    document.setActiveNode(layer)
    document.undo_stack.clear()
    return document, layer


def as_engine_sends(source, dream: Image) -> Image:
    """The pure dream in the form the plugin asks the engine for (the engine's own arithmetic)."""
    if source.result == "layer":
        return dream
    return Image(dream.width, dream.height,
                 difference_layer(source.image, image_to_float(dream), source.over_layers), dream.depth)


def dream_of_layer(document, layer, dream: Image) -> bytes:
    """The composite as it would be with the layer's pixels replaced by ``dream`` (same alpha)."""
    kept = bytes(layer.pixelData(0, 0, W, H))
    layer.setPixelData(QByteArray(swap_red_blue(dream.data, 8)), 0, 0, W, H)
    shown = bytes(document.pixelData(0, 0, W, H))
    layer.setPixelData(QByteArray(kept), 0, 0, W, H)
    return shown


@pytest.mark.parametrize("alpha", [30, 128, 255])
@pytest.mark.parametrize("over_layers", [True, False], ids=["over a layer", "over nothing"])
def test_a_semi_transparent_layer_shows_its_dream_not_a_denser_one(app, alpha, over_layers):
    document, glaze = see_through(app, alpha, over_layers)
    source = read_source(app, document)
    glaze_before = bytes(glaze.pixelData(0, 0, W, H))
    dream = inverted(source.image, None)
    wanted = dream_of_layer(document, glaze, dream)
    layer = finish(apply_dream(app, document, source, as_engine_sends(source, dream), None, "Dream glaze"))
    shown = bytes(document.pixelData(0, 0, W, H))
    worst = max(abs(a - b) for a, b in zip(shown, wanted))
    assert worst <= 2, (alpha, worst)
    assert bytes(glaze.pixelData(0, 0, W, H)) == glaze_before and glaze.blendingMode() == "normal"
    assert len(document.undo_stack) == 1
    plain = alpha == 255
    assert (layer.blendingMode(), layer.inheritAlpha()) == (("normal", False) if plain else ("linear light", True))


def test_a_semi_transparent_layer_dreamed_in_a_soft_selection(app):
    document, glaze = see_through(app, 128, selection=True)
    soft = document.selection()
    soft.select(BOX[0] + BOX[2] - 2, BOX[1], 2, BOX[3], 100)
    document.setSelection(soft)
    source = read_source(app, document)
    before = bytes(document.pixelData(0, 0, W, H))
    wanted = dream_of_layer(document, glaze, inverted(source.image, source.mask))
    layer = finish(apply_dream(app, document, source, as_engine_sends(source, inverted(source.image, None)),
                               source.mask, "Dream glaze"))
    shown = bytes(document.pixelData(0, 0, W, H))
    assert max(abs(a - b) for a, b in zip(shown, wanted)) <= 2
    assert [pixel for pixel in range(W * H) if source.mask.data[pixel] == 0
            and shown[pixel * 4:pixel * 4 + 4] != before[pixel * 4:pixel * 4 + 4]] == []
    assert [m.type() for m in layer.childNodes()] == ["transparencymask"] and layer.inheritAlpha()
    assert len(document.undo_stack) == 1


@pytest.mark.parametrize("alpha, over_layers, form", [(128, True, "difference"), (128, False, "difference"),
                                                      (255, True, "layer")])
def test_the_engine_is_asked_for_the_layer_the_plugin_puts_in(app, alpha, over_layers, form):
    document, _ = see_through(app, alpha, over_layers)
    seen = {}

    def dialog(image, mask, engine_python, parent, **described):
        seen.update(described)

    dream_on_document(app, document, "/engine/python", dialog=dialog)
    assert (seen["result"], seen["by_alpha"]) == (form, over_layers)


def test_a_dream_in_another_form_than_asked_is_refused(app):
    document = make_document(app)

    def dialog(image, mask, engine_python, parent, **described):
        return Outcome(image, mask, DreamSettings(), "Dream", "blended")

    with pytest.raises(KritaAdapterError, match="came back as 'blended' where 'layer' was asked for"):
        dream_on_document(app, document, "/engine/python", dialog=dialog)
    assert [node.name() for node in document.topLevelNodes()] == ["Background", "Sticker"]


def test_the_wrappers_speak_of_layers_and_selections(app):
    document = Document(make_document(app))
    background, sticker = document.top_layers()
    assert (background.name, sticker.kind, background.is_mask) == ("Background", "paintlayer", False)
    assert background == Layer(document.krita.topLevelNodes()[0]) != sticker
    assert len({background, Layer(background.krita), sticker}) == 2
    assert background.parent().children() == [background, sticker]
    assert document.activate(background) and document.active_layer() == background
    assert not document.activate(sticker) and document.active_layer() == sticker
    selection = document.selection()
    assert not selection.empty and selection.pixels(document.bounds).count(255) == BOX[2] * BOX[3]
    assert document.has_layer_named("Sticker") and not document.has_layer_named("Nothing")
