"""A paint layer that already has a transparency mask, to copy into a document as one undo step.

Krita's Python records adding a layer and adding a mask to it as two commands, and Krita 5.1 makes
a mask only through an action on the active layer of a view. A document opened from a file has no
such history: a tiny ``.kra`` written here holds one empty layer with an empty mask, Krita opens it
unseen, converts it to the picture's colour space, and a copy of its layer is filled and added to
the picture: one command, and no other change to the picture's stack on the way. Building the mask
in the picture instead (add the layer, mask it, undo both, add a filled copy) gave Krita five
changes of the 12 MP picture's stack to process: Apply with a feathered selection took
1.84-2.04 s (Krita CPU 2.4-2.7 s), against 0.63-0.75 s (CPU 0.84 s) this way (Krita 5.1.5,
``bench/krita_apply.py``). The layer carries a small sRGB profile written here (without one Krita
warns that it could not load the layer's profile); the file is opened in batch mode all the same,
so nothing Krita might say about it becomes a message box, and a conversion gives the layer the
picture's colour space and profile. Krita's status bar shows "Opening document" for the moment it
takes (seen 0.5 s after Apply, gone 2.5 s after, in every run of the real-Krita test).
"""
from __future__ import annotations

import os
import struct
import tempfile
import zipfile
from xml.sax.saxutils import quoteattr

from dreamlayer.plugin.krita.adapter import KritaAdapterError
from dreamlayer.plugin.krita.host import Application, ColorSpace, Document, Layer

MASK_NAME = "Dream mask"
SIZE = 8  # px: the template's own canvas; paint devices have no edges, so a copy holds any picture
_TILES = "VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE {}\nDATA 0\n"  # Krita's tiled pixels, no tiles


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def srgb_icc() -> bytes:
    """A minimal ICC v2 display profile: sRGB's primaries adapted to D50, a 2.2 gamma curve."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)

    name = b"dreamlayer sRGB\0"
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(4 + 4 + 2 + 1 + 67)),
            (b"cprt", b"text" + bytes(4) + b"No copyright\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233))]
    tags += [(b"gTRC", tags[-1][1]), (b"bTRC", tags[-1][1])]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + bytes(12)
              + b"acsp" + bytes(24) + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249))
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def kra_bytes() -> dict[str, bytes]:
    """The files of a minimal Krita document, RGBA 8-bit sRGB: one empty paint layer with one empty
    transparency mask (so the mask hides everything until its pixels are written)."""
    name = "dreamlayer-template"
    maindoc = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE DOC PUBLIC '-//KDE//DTD krita 2.0//EN' 'http://www.calligra.org/DTD/krita-2.0.dtd'>
<DOC xmlns="http://www.calligra.org/DTD/krita" syntaxVersion="2.0" kritaVersion="5.1.5" editor="Krita">
 <IMAGE name="{name}" mime="application/x-kra" width="{SIZE}" height="{SIZE}" x-res="72" y-res="72"
        colorspacename="RGBA" profile="sRGB-elle-V2-srgbtrc.icc" description="">
  <layers>
   <layer name="Dream" nodetype="paintlayer" filename="layer1" x="0" y="0" visible="1" locked="0"
          opacity="255" compositeop="normal" colorspacename="RGBA" channelflags="" collapsed="0" intimeline="0">
    <masks>
     <mask name={quoteattr(MASK_NAME)} nodetype="transparencymask" filename="mask1" x="0" y="0" visible="1" locked="0"
           intimeline="0"/>
    </masks>
   </layer>
  </layers>
 </IMAGE>
</DOC>
"""
    return {"mimetype": b"application/x-krita", "maindoc.xml": maindoc.encode(),
            f"{name}/layers/layer1": _TILES.format(4).encode(),
            f"{name}/layers/layer1.defaultpixel": bytes(4),
            f"{name}/layers/layer1.icc": srgb_icc(),
            f"{name}/layers/mask1.pixelselection": _TILES.format(1).encode(),
            f"{name}/layers/mask1.pixelselection.defaultpixel": bytes(1)}


def write_kra(path: str) -> None:
    """The template as a ``.kra`` file (the mimetype first and stored, as the format wants)."""
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in kra_bytes().items():
            archive.writestr(member, data, zipfile.ZIP_STORED if member == "mimetype" else zipfile.ZIP_DEFLATED)


def open_template(app: Application, space: ColorSpace) -> Document:
    """The template as an open document Krita does not show, its layer in ``space``; ``discard()`` it
    when done."""
    handle, path = tempfile.mkstemp(prefix="dreamlayer-", suffix=".kra")
    os.close(handle)
    try:
        write_kra(path)
        document = app.open_document(path)
    finally:
        os.unlink(path)
    if document is None or len(document.top_layers()) != 1:
        if document is not None:
            document.discard()
        raise KritaAdapterError("Krita could not open the dream layer's template.")
    layer = document.top_layers()[0]
    if layer.space != space and not (layer.set_color_space(space) and layer.space == space):
        document.discard()
        raise KritaAdapterError(f"Krita could not make a layer in {space.model} {space.depth} ({space.profile}).")
    return document


def masked_layer(template: Document, name: str) -> Layer:
    """A copy of the template's layer and mask, named ``name``, in no document's stack yet."""
    layer = template.top_layers()[0].copy()
    layer.name = name
    return layer
