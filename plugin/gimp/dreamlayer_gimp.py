#!/usr/bin/env python3
"""dreamlayer for GIMP 3: Filters › Artistic › Dream…, installed by ``dreamlayer install gimp``.

Runs in GIMP's own Python, which has no torch and no Qt, so it only moves pixels: it writes the
drawable, the selection and the settings into a private folder, starts the engine's Python on
``dreamlayer.plugin.gimp.bridge`` (whose docstring describes the folder) and waits, then adds
the dream as a new layer above the drawable, masked by the mask the dream was blended with, in
one undo group. Nothing in the image changes before the dream is back and checked, so a cancel
or a failure leaves it as it was. Every GIMP call is on this process's main thread (GIMP's
procedure database is not thread-safe); GIMP's own window stays usable meanwhile, since GIMP
waits for plug-ins in its event loop. Standard library and GIMP's GObject bindings only.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject  # noqa: E402

PROCEDURE = "plug-in-dreamlayer-dream"
CONFIG = "install.json"
# What GIMP sets for its own Python and libraries; the engine's Python must not inherit them.
FOREIGN_ENV = ("PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "LD_PRELOAD", "GI_TYPELIB_PATH", "GEGL_PATH",
               "BABL_PATH")
FALLBACK_DEFAULTS = {"model": "efficientnet-lite0", "steps": 10, "step_size": 0.006, "pattern_size": 1.0, "seed": 0}
RW = GObject.ParamFlags.READWRITE


class PlugInError(Exception):
    """Something stops the dream; the message is one line for the painter."""


def _here() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def read_config() -> Dict[str, Any]:
    """The install record: the engine's Python and the settings' defaults (``dreamlayer.settings``)."""
    path = os.path.join(_here(), CONFIG)
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise PlugInError(f"{path} cannot be read ({error}); run `dreamlayer install gimp` again.") from None
    if not isinstance(config, dict) or not isinstance(config.get("engine_python"), str):
        raise PlugInError(f"{path} names no engine Python; run `dreamlayer install gimp` again.")
    return config


def _defaults() -> Dict[str, Any]:
    try:
        return dict(FALLBACK_DEFAULTS, **(read_config().get("defaults") or {}))
    except PlugInError:
        return dict(FALLBACK_DEFAULTS)


def engine_environment() -> Dict[str, str]:
    """This process's environment without what GIMP set for its own Python and libraries."""
    return {key: value for key, value in os.environ.items()
            if key not in FOREIGN_ENV and not key.startswith("DYLD_")}


def _offsets(drawable: Any) -> Tuple[int, int]:
    found = drawable.get_offsets()
    return int(found[-2]), int(found[-1])


def _depth(image: Any) -> int:
    """8 for 8-bit images, else 16 (higher precisions are dreamed at 16 bits and written back)."""
    return 8 if int(image.get_precision()) < int(Gimp.Precision.U16_LINEAR) else 16


def _format(depth: int) -> str:
    return "R'G'B'A u8" if depth == 8 else "R'G'B'A u16"


def _colour_words(image: Any) -> Tuple[str, bool]:
    grey = image.get_base_type() == Gimp.ImageBaseType.GRAY
    precision = Gimp.Precision(image.get_precision()).value_nick.split("-")[0]
    depth = {"u8": "8-bit", "u16": "16-bit", "u32": "32-bit", "half": "16-bit float", "float": "32-bit float",
             "double": "64-bit float"}.get(precision, precision)
    return f"{'greyscale' if grey else 'RGB'}, {depth}", grey


def read_drawable(image: Any, drawable: Any, folder: str) -> Tuple[int, int, int, bool]:
    """Write the drawable and the selection over it into ``folder``; their size and whether masked."""
    if not isinstance(drawable, Gimp.Layer):  # a channel or a layer mask
        raise PlugInError("Select a layer to dream on.")
    width, height = drawable.get_width(), drawable.get_height()
    x, y = _offsets(drawable)
    depth = _depth(image)
    pixels = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, _format(depth),
                                       Gegl.AbyssPolicy.CLAMP)
    masked = not Gimp.Selection.is_empty(image)
    if masked:
        selection = image.get_selection().get_buffer().get(Gegl.Rectangle.new(x, y, width, height), 1.0, "Y u8",
                                                           Gegl.AbyssPolicy.NONE)
        if not selection.strip(b"\0"):
            raise PlugInError("The selection does not cover this layer, so there is nothing to dream on. "
                              "Select part of the layer, or Select › None to dream on all of it.")
        with open(os.path.join(folder, "mask.raw"), "wb") as handle:
            handle.write(selection)
    with open(os.path.join(folder, "image.raw"), "wb") as handle:
        handle.write(pixels)
    return width, height, depth, masked


def run_engine(folder: str, request: Dict[str, Any]) -> Dict[str, Any]:
    """Start the bridge on ``folder`` with the engine's Python and wait; its ``result.json``."""
    python = read_config()["engine_python"]
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise PlugInError(f"The engine's Python {python} is gone; run `dreamlayer install gimp` again.")
    with open(os.path.join(folder, "request.json"), "w", encoding="utf-8") as handle:
        json.dump(request, handle)
    log = os.path.join(folder, "engine.log")
    with open(log, "wb") as output:
        try:
            done = subprocess.run([python, "-m", "dreamlayer.plugin.gimp.bridge", folder], stdin=subprocess.DEVNULL,
                                  stdout=output, stderr=subprocess.STDOUT, env=engine_environment(), check=False)
        except OSError as error:
            raise PlugInError(f"The engine's Python {python} could not be started: {error}") from None
    try:
        with open(os.path.join(folder, "result.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        with open(log, encoding="utf-8", errors="replace") as handle:
            lines = [line.strip() for line in handle if line.strip()]
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise PlugInError(f"The engine stopped without a result: {why}") from None


def add_dream_layer(image: Any, drawable: Any, folder: str, name: str, size: Tuple[int, int], depth: int,
                    masked: bool) -> Any:
    """The dream as a new layer right above ``drawable``, masked, in one undo group; the layer."""
    width, height = size
    with open(os.path.join(folder, "layer.raw"), "rb") as handle:
        pixels = handle.read()
    mask = None
    if masked:
        with open(os.path.join(folder, "layer-mask.raw"), "rb") as handle:
            mask = handle.read()
    if len(pixels) != width * height * 4 * depth // 8 or (mask is not None and len(mask) != width * height):
        raise PlugInError("The dream does not have the size of the layer it was made from.")
    grey = image.get_base_type() == Gimp.ImageBaseType.GRAY
    whole = Gegl.Rectangle.new(0, 0, width, height)
    image.undo_group_start()
    try:
        layer = Gimp.Layer.new(image, name, width, height,
                               Gimp.ImageType.GRAYA_IMAGE if grey else Gimp.ImageType.RGBA_IMAGE,
                               100.0, Gimp.LayerMode.NORMAL)
        image.insert_layer(layer, drawable.get_parent(), image.get_item_position(drawable))
        layer.set_offsets(*_offsets(drawable))
        buffer = layer.get_buffer()
        buffer.set(whole, _format(depth), pixels)
        buffer.flush()
        if mask is not None:
            layer_mask = layer.create_mask(Gimp.AddMaskType.WHITE)
            layer.add_mask(layer_mask)
            mask_buffer = layer_mask.get_buffer()
            mask_buffer.set(whole, "Y u8", mask)
            mask_buffer.flush()
            layer_mask.update(0, 0, width, height)
        layer.update(0, 0, width, height)
    finally:
        image.undo_group_end()
    return layer


def settings_from(config: Any) -> Dict[str, Any]:
    """The procedure's arguments as ``dreamlayer.settings.DreamSettings`` fields."""
    objective = (config.get_property("objective") or "").strip()  # GIMP gives an empty string as None
    octaves = config.get_property("octaves")
    return {"model": config.get_property("model"), "objective": objective or None,
            "octaves": octaves or None, "steps": config.get_property("steps"),
            "step_size": config.get_property("step-size"), "pattern_size": config.get_property("pattern-size"),
            "seed": config.get_property("seed")}


def dream(procedure: Any, run_mode: Any, image: Any, drawables: List[Any], config: Any, data: Any) -> Any:
    """The procedure: read, dream (dialog or batch), add the layer; the image is untouched on any failure."""
    if len(drawables) != 1:
        return _failure(procedure, "Select exactly one layer to dream on.")
    drawable = drawables[0]
    folder = tempfile.mkdtemp(prefix="dreamlayer-gimp-")
    try:
        width, height, depth, masked = read_drawable(image, drawable, folder)
        colour, grey = _colour_words(image)
        request = {"mode": "dialog" if run_mode == Gimp.RunMode.INTERACTIVE else "batch", "width": width,
                   "height": height, "depth": depth, "mask": masked, "colour": colour, "greyscale": grey,
                   "settings": settings_from(config)}
        answer = run_engine(folder, request)
        if answer.get("status") == "cancelled":
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        if answer.get("status") != "applied":
            raise PlugInError(str(answer.get("message") or "The engine gave no reason."))
        add_dream_layer(image, drawable, folder, str(answer.get("name") or "Dream"), (width, height), depth,
                        bool(answer.get("mask")))
    except (PlugInError, OSError) as error:
        return _failure(procedure, str(error))
    except Exception as error:  # GIMP shows nothing useful for an escaped exception, so say it here
        return _failure(procedure, f"The Dream plug-in failed: {type(error).__name__}: {error}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, None)


def _failure(procedure: Any, message: str) -> Any:
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR,
                                       GLib.Error.new_literal(Gimp.PlugIn.error_quark(), message, 0))


class DreamLayer(Gimp.PlugIn):
    """Registers the Dream procedure with its settings as arguments (for batch and the console)."""

    def do_query_procedures(self) -> List[str]:
        return [PROCEDURE]

    def do_set_i18n(self, name: str) -> bool:
        return False

    def do_create_procedure(self, name: str) -> Any:
        defaults = _defaults()
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, dream, None)
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("Dream…")
        procedure.add_menu_path("<Image>/Filters/Artistic")
        procedure.set_documentation("DeepDream on the layer, only where selected, into a new masked layer",
                                    "Interactively, the Dream dialog with a live preview; otherwise the "
                                    "arguments are the settings.", name)
        procedure.set_attribution("dreamlayer", "dreamlayer", "2026")
        procedure.add_string_argument("model", "Model", "Network to dream with", defaults["model"], RW)
        procedure.add_string_argument("objective", "Objective",
                                      "Objective expression (empty: the model's default layer)", "", RW)
        procedure.add_int_argument("octaves", "Octaves", "Octave count (0: from the pattern size)", 0, 20, 0, RW)
        procedure.add_int_argument("steps", "Steps", "Gradient steps per octave", 0, 10000, defaults["steps"], RW)
        procedure.add_double_argument("step-size", "Strength", "Step size per gradient step", 0.0001, 1.0,
                                      defaults["step_size"], RW)
        procedure.add_double_argument("pattern-size", "Pattern size", "Pattern size relative to the picture",
                                      0.25, 4.0, defaults["pattern_size"], RW)
        procedure.add_int_argument("seed", "Seed", "Random seed", 0, 2**31 - 1, defaults["seed"], RW)
        return procedure


if __name__ == "__main__":
    Gimp.main(DreamLayer.__gtype__, sys.argv)
