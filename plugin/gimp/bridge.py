"""The engine's side of the GIMP plug-in: ``<engine python> -m dreamlayer.plugin.gimp.bridge DIR``.

GIMP's Python has no torch and no Qt (on Windows and macOS it is GIMP's own, without pip), so
the plug-in only moves pixels: it writes the drawable, the selection and the settings into a
private folder and starts this module with the engine's Python, which dreams there (batch) or
shows the same Dream dialog as Krita (``ui.session``), and writes the result back. The folder:

``request.json``  ``mode`` ("batch" or "dialog"), ``width``, ``height``, ``depth`` (8 or 16),
                  ``mask`` (true when ``mask.raw`` holds the selection), ``settings`` (a
                  :class:`~dreamlayer.settings.DreamSettings` dict, batch), ``colour`` (the
                  drawable's colour in words), ``greyscale``.
``image.raw``     The drawable as :class:`~dreamlayer.pixels.Image` bytes (straight RGBA).
``mask.raw``      The selection over the drawable, one byte per pixel.

and on success this writes ``layer.raw`` (the dream before masking: ``protocol.LAYER``, the
plug-in masks its new layer itself), ``layer-mask.raw`` when masked, then ``result.json``:
``{"status": "applied", "name", "mask"}``, ``{"status": "cancelled"}`` or
``{"status": "error", "message"}`` (one line for the painter). ``result.json`` is written last
and atomically: the plug-in trusts nothing without it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import LAYER, DreamOptions, Message
from dreamlayer.settings import DreamSettings

REQUEST, RESULT = "request.json", "result.json"
IMAGE, MASK, LAYER_OUT, MASK_OUT = "image.raw", "mask.raw", "layer.raw", "layer-mask.raw"
MODES = ("batch", "dialog")


class BridgeError(ValueError):
    """A request the bridge cannot serve; the message is one line for the painter."""


def read_request(folder: Path) -> tuple[dict[str, Any], Image, Optional[Mask]]:
    """The request's fields, picture and selection, checked."""
    try:
        fields = json.loads((folder / REQUEST).read_text(encoding="utf-8"))
        width, height, depth = int(fields["width"]), int(fields["height"]), int(fields["depth"])
        image = Image(width, height, (folder / IMAGE).read_bytes(), depth)
        mask = Mask(width, height, (folder / MASK).read_bytes()) if fields.get("mask") else None
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise BridgeError(f"The plug-in's request in {folder} cannot be read ({error}).") from None
    if fields.get("mode") not in MODES:
        raise BridgeError(f"Unknown mode {fields.get('mode')!r}; expected one of {', '.join(MODES)}.")
    return fields, image, mask


def dream_batch(image: Image, mask: Optional[Mask], settings: DreamSettings) -> tuple[Image, Optional[Mask]]:
    """Dream in this process, as the engine process would for the dialog (same request checks,
    same result form); the dream and the mask it was blended with."""
    from dreamlayer.engine import DreamError, dream, runtime
    from dreamlayer.engine.dream_request import read_dream_request
    from dreamlayer.engine.errors import BadRequest
    from dreamlayer.engine.wire import image_to_float
    from dreamlayer.engine.worker import result_image

    runtime.configure()
    blobs: list[bytes] = []
    fields = DreamOptions(settings, result=LAYER).fields()
    fields["image"] = protocol.image_field(image, blobs)
    if mask is not None:
        fields["mask"] = protocol.mask_field(mask, blobs)
    try:
        request = read_dream_request(Message("dream", fields, blobs))
        result = dream(image_to_float(request.image), request.settings, mask=request.weights, unmasked=True)
    except (BadRequest, DreamError) as error:
        raise BridgeError(str(error)) from None
    return result_image(request, result, LAYER), request.mask


def dream_in_dialog(image: Image, mask: Optional[Mask], fields: dict[str, Any]) -> Optional[tuple[Image,
                                                                                                  Optional[Mask],
                                                                                                  str]]:
    """Show the Dream dialog (the one Krita shows) as this process's only window; None if cancelled."""
    from dreamlayer.ui.qt import QApplication
    from dreamlayer.ui.session import dream_interactively

    app = QApplication.instance() or QApplication(["dreamlayer (GIMP)"])
    try:
        outcome = dream_interactively(image, mask, sys.executable, None, colour=str(fields.get("colour") or ""),
                                      greyscale=bool(fields.get("greyscale")), result=LAYER)
    finally:
        app.processEvents()
    return None if outcome is None else (outcome.image, outcome.mask, outcome.layer_name)


def write_result(folder: Path, status: str, **fields: Any) -> None:
    """``result.json``, atomically: the plug-in reads the pixels only once this exists."""
    from dreamlayer.engine.files import write_text

    write_text(folder / RESULT, json.dumps(dict(fields, status=status)))


def serve(folder: Path) -> str:
    """Answer the request in ``folder``; the status written."""
    from dreamlayer.ui.objective import result_name

    try:
        fields, image, mask = read_request(folder)
        if fields["mode"] == "batch":
            try:
                settings = DreamSettings.from_dict(dict(fields.get("settings") or {}))
            except TypeError as error:
                raise BridgeError(f"Bad dream settings: {error}") from None
            problems = settings.problems()
            if problems:
                raise BridgeError(f"Bad dream settings: {problems[0]}.")
            dreamed, used, name = *dream_batch(image, mask, settings), result_name(settings)
        else:
            answer = dream_in_dialog(image, mask, fields)
            if answer is None:
                write_result(folder, "cancelled")
                return "cancelled"
            dreamed, used, name = answer
    except BridgeError as error:
        write_result(folder, "error", message=str(error))
        return "error"
    (folder / LAYER_OUT).write_bytes(dreamed.data)
    if used is not None:
        (folder / MASK_OUT).write_bytes(used.data)
    write_result(folder, "applied", name=name, mask=used is not None)
    return "applied"


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m dreamlayer.plugin.gimp.bridge FOLDER (the plug-in's request folder)",
              file=sys.stderr)
        return 2
    return 0 if serve(Path(args[0])) != "error" else 1


if __name__ == "__main__":
    sys.exit(main())
