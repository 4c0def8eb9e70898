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

The whole change is one undo step: the layer goes into the stack complete, pixels, mask and all.
Krita's Python records adding a mask to a layer as a command of its own, so a masked dream's layer
is a copy of one that already has its mask, from a template document (``template.py``), filled
outside any stack. Filling before adding also makes Krita composite the new layer once, with no
refresh of the whole picture afterwards (``bench/krita_apply.py`` measures this at 12 MP).

Krita makes a new node active only on its main event loop, not in a nested one, so the work is
a generator of waits driven by ``run_steps``.
"""
from __future__ import annotations

import time
from array import array
from typing import Any, Callable, Generator, Optional

from dreamlayer.ui.qt import QTimer

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.plugin.krita.adapter import KritaAdapterError, Source, from_image, write_pixels
from dreamlayer.plugin.krita.host import Application, Document, Layer
from dreamlayer.plugin.krita.pixelbytes import CHANNEL_TYPES, linear_light_layer, swap_red_blue
from dreamlayer.plugin.krita.template import masked_layer, open_template
from dreamlayer.protocol import DIFFERENCE

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
                name: str, region: Optional[Bounds] = None) -> Steps:
    """Add the dream as a layer named ``name`` (made unique) above the source, masked by ``mask`` (the mask the
    dream was blended with; None when it dreamed everywhere); the steps end with the new ``Layer``.

    ``dreamed`` is in the form ``source.result`` (the engine's: the pure dream, or the difference layer),
    so the pixels only change byte order or colour space here. ``region``: the part of the picture the
    mask kept the dream to (the engine's, in the picture's coordinates). A masked plain layer holds only
    that part: outside it the dream is the source itself and the mask is 0, so leaving the layer empty
    there shows the same picture, even where the painter later paints the mask further, and spares
    Krita the rest of a big canvas."""
    size = (source.bounds.width, source.bounds.height)
    if (dreamed.width, dreamed.height) != size:
        raise KritaAdapterError("The dream does not have the size of the picture it was made from.")
    if mask is not None and ((mask.width, mask.height) != size or source.selection is None):
        raise KritaAdapterError("The dream's mask does not fit the selection of the picture it was made from.")
    part = Bounds(0, 0, *size) if mask is None or region is None or source.difference else region
    if part.empty or part.x < 0 or part.y < 0 or part.x + part.width > size[0] or part.y + part.height > size[1]:
        raise KritaAdapterError("The part of the picture the engine dreamed lies outside the picture.")
    at = Bounds(source.bounds.x + part.x, source.bounds.y + part.y, part.width, part.height)

    def fill(target: Layer) -> None:
        if source.difference:
            _write_difference(app, target, source, dreamed)
        else:
            write_pixels(app, target, dreamed.crop(part), at)
        if mask is not None:
            target.masks()[0].set_pixels(mask.crop(part).data, at)

    if mask is None:
        layer = document.new_paint_layer(unique_name(document, name))
        fill(layer)
        source.parent.add(layer, source.anchor)
        document.wait()
    else:
        template = open_template(app, document.space)
        try:
            layer = masked_layer(template, unique_name(document, name))
            fill(layer)
            source.parent.add(layer, source.anchor)
            document.wait()
        finally:
            template.discard()
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
