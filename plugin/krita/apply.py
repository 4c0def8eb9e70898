"""Put a dream into the document: a new paint layer above the source, masked as the dream was.

The dialog returns the mask the engine blended the dream with (the selection, inverted or
feathered as the painter asked). The layer holds the pure dream and a transparency mask
holding that mask mixes it in, so soft edges stay soft and the painter can repaint the mask.
A dream without a mask (no selection, or not used) is a layer without one. The engine sends the
layer's pixels as they go in (``Source.result``: the pure dream, or the difference layer below),
so nothing here loops over pixels; only a greyscale layer's difference layer is made here, in its
own grey, which the engine never sees.

A source with semi-transparent pixels cannot take a plain layer over it: the dream, keeping the
source's alpha, would sit over the still-visible source and the coverage would compound
(``1 - (1 - a)^2 > a``), so such layers came out denser. Such a dream is instead a *difference layer*:
opaque, blending mode "linear light" (``below + 2 * layer - 1``) with inherit alpha, holding
``0.5 + a * (dream - source) / 2`` (``a`` = the source's alpha where visible layers lie under
it, 1 where nothing does). The composite is then the dream of that layer at any alpha, within a
level, where what lies under the source is opaque or empty (over semi-transparent layers the
change is scaled as if they were opaque); the source's pixels and properties are untouched and
the undo is still one step. Measured in Krita 5.1.5 (tests/krita/scenario_dream.py, alpha 128
over an orange layer, mean brightness): a dream that changes nothing took the picture from 118.2
to 113.9 as a plain layer, to 119.2 as a difference layer (8 bits: +1 level); a dream inverting
the colours, which should show 136.0, showed 131.8 (worst pixel 54 levels off) and 135.9 (worst
1 level); at alpha 30, 124.8 wanted, 126.6 and 124.8.

Hiding the source would change it. Other modes for a layer holding the dream with the source's
alpha, tried in Krita 5.1.5 over an opaque layer: "copy" replaces the layers under it too (the
picture turns semi-transparent), "greater" shows nothing, "destination-in" and
"destination-atop" cut the picture's alpha and keep the old colours. Layers with only opaque
and clear pixels get the plain layer, which a painter can also paint on or use alone; so do
colour models other than RGB and grey (Krita 5.1.5 blends CMYK differently: 44 levels off)
and float channels, where it was not measured.

The whole change is one undo step. Krita records adding a layer and adding a mask as two
commands and offers Python no way to group them, so the layer is built in place, still empty
and hidden (layer, then mask: Krita 5.2+ through ``createTransparencyMask``, Krita 5.1 through the
``add_new_transparency_mask`` action), copied with its mask, those commands are undone, and the
copy, given the dream's pixels and the dream's mask only now and shown, is added back as a single
command.
Filling only the copy, outside the stack, spares Krita recompositing the picture after each of
those commands, and adding the layer already filled makes Krita composite it once, with no
refresh of the whole picture afterwards (``bench/krita_apply.py`` measures this at 12 MP). If
the undo does not behave as expected the layer in place is filled and stays: correct, in two
undo steps.

Krita finishes some of these steps (making a new node active, undo) only on its main event
loop, not in a nested one, so the work is a generator of waits driven by ``run_steps``.
"""
from __future__ import annotations

import time
from array import array
from typing import Any, Callable, Generator, Optional

from dreamlayer.ui.qt import QTimer

from dreamlayer.pixels import Image, Mask
from dreamlayer.plugin.krita.adapter import KritaAdapterError, Source, from_image, write_pixels
from dreamlayer.plugin.krita.host import Application, Document, Layer
from dreamlayer.plugin.krita.pixelbytes import CHANNEL_TYPES, linear_light_layer, swap_red_blue
from dreamlayer.protocol import DIFFERENCE

MASK_NAME = "Dream mask"
MASK_ACTION = "add_new_transparency_mask"
DIFFERENCE_MODE = "linear light"  # Krita's id of the Linear Light blending mode
POLL_MS = 50
WAIT_SECONDS = 10.0

Steps = Generator[int, None, Any]


def run_steps(steps: Steps, done: Callable[[Any], None], failed: Callable[[Exception], None]) -> None:
    """Drive ``steps`` from the main event loop; each yielded value is a pause in milliseconds."""
    def advance() -> None:
        try:
            pause = next(steps)
        except StopIteration as finished:
            done(finished.value)
        except (KritaAdapterError, ValueError, OSError) as error:
            failed(error)
        else:
            QTimer.singleShot(pause, advance)

    QTimer.singleShot(0, advance)


def wait_for(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> Generator[int, None, bool]:
    """Pause until ``condition`` holds; False if it did not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        yield POLL_MS
    return True


def apply_dream(app: Application, document: Document, source: Source, dreamed: Image, mask: Optional[Mask],
                name: str) -> Steps:
    """Add the dream as a layer named ``name`` (made unique) above the source, masked by ``mask`` (the mask the
    dream was blended with; None when it dreamed everywhere); the steps end with the new ``Layer``.

    ``dreamed`` is in the form ``source.result`` (the engine's: the pure dream, or the difference layer),
    so the pixels only change byte order or colour space here."""
    size = (source.bounds.width, source.bounds.height)
    if (dreamed.width, dreamed.height) != size:
        raise KritaAdapterError("The dream does not have the size of the picture it was made from.")
    if mask is not None and ((mask.width, mask.height) != size or source.selection is None):
        raise KritaAdapterError("The dream's mask does not fit the selection of the picture it was made from.")
    layer = document.new_paint_layer(unique_name(document, name))

    def fill(target: Layer) -> None:
        if source.difference:
            _write_difference(app, target, source, dreamed)
        else:
            write_pixels(app, target, dreamed, source.bounds)
        if mask is not None and target.masks():
            target.masks()[0].set_pixels(mask.data, source.bounds)

    if mask is None:
        fill(layer)
        source.parent.add(layer, source.anchor)
        document.wait()
    else:
        layer.visible = False  # nothing to composite until the filled copy goes in
        source.parent.add(layer, source.anchor)
        document.wait()
        yield from _add_mask(app, document, layer, source)
        layer = yield from _as_one_step(app, document, source, layer, fill)
    yield from wait_for(lambda: document.activate(layer), 2.0)
    return layer


def unique_name(document: Document, name: str) -> str:
    """``name``, or ``name (2)``, ``(3)``... if the document already has a node of that name:
    two dreams with the same settings stay two layers a painter can tell apart."""
    taken, count = name, 1
    while document.has_layer_named(taken):
        count += 1
        taken = f"{name} ({count})"
    return taken


def _write_difference(app: Application, layer: Layer, source: Source, dreamed: Image) -> None:
    """Make ``layer`` the difference layer for a semi-transparent source (see the module's docstring):
    as the engine sent it, or made here from the pure dream where the engine cannot see the layer's
    own samples (greyscale)."""
    bounds = source.bounds
    if source.result == DIFFERENCE:
        pixels = swap_red_blue(dreamed.data, dreamed.depth)
    else:
        space = source.space
        channels = len(source.native) // (bounds.width * bounds.height * array(CHANNEL_TYPES[space.depth][0]).itemsize)
        pixels = linear_light_layer(source.native, from_image(app, dreamed, bounds, space), space.depth, channels,
                                    by_alpha=source.over_layers)
    layer.set_pixels(pixels, bounds)
    layer.blend(DIFFERENCE_MODE, inherit_alpha=True)


def _add_mask(app: Application, document: Document, layer: Layer, source: Source) -> Steps:
    """Give ``layer`` a transparency mask (its pixels, the selection's for now, are the dream's mask later)."""
    made = document.new_transparency_mask(MASK_NAME)
    if made is not None and source.selection is not None:  # Krita 5.2+
        made.mask_with(source.selection.copy())  # a copy: the mask's pixels are overwritten later
        layer.add(made)
        document.wait()
    else:
        if not (yield from wait_for(lambda: document.activate(layer))):
            raise KritaAdapterError("Krita did not make the new layer active.")
        app.trigger(MASK_ACTION)
        if not (yield from wait_for(lambda: bool(layer.masks()))):
            raise KritaAdapterError("Krita did not add the transparency mask.")
    layer.masks()[0].name = MASK_NAME
    document.wait()


def _undo(app: Application, document: Document, done: Callable[[], bool]) -> Steps:
    """Undo once, after Krita has finished (and recorded) what it was doing."""
    document.wait()
    yield POLL_MS
    document.wait()
    app.trigger("edit_undo")
    document.wait()
    return (yield from wait_for(done))


def _as_one_step(app: Application, document: Document, source: Source, layer: Layer,
                 fill: Callable[[Layer], None]) -> Steps:
    """Replace the two commands (add the empty layer, add its mask) by one that adds both, filled by
    ``fill``; where the undo misbehaves, ``layer`` is filled in place instead."""
    copy = layer.copy()
    if not copy.masks():
        return _filled(document, layer, fill)
    if not (yield from _undo(app, document, lambda: not layer.masks())):
        return _filled(document, layer, fill)
    if not (yield from _undo(app, document, lambda: layer not in source.parent.children())):
        app.trigger("edit_redo")
        document.wait()
        yield from wait_for(lambda: bool(layer.masks()))
        return _filled(document, layer, fill)
    fill(copy)
    copy.visible = True
    source.parent.add(copy, source.anchor)
    document.wait()
    return copy


def _filled(document: Document, layer: Layer, fill: Callable[[Layer], None]) -> Layer:
    """``layer``, in the stack with its mask, given the dream's pixels there (the two-step fallback).
    Krita does not recomposite after pixels are written into a node in the stack: the refresh does."""
    document.wait()
    fill(layer)
    layer.visible = True
    document.refresh()
    return layer
