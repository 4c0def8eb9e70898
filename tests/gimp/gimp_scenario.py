"""Runs inside GIMP 3 (python-fu-eval): Dream on a photo with a soft selection, and check the image.

``gimp-console-3.0 -i -b "exec(open(THIS).read())" --quit`` (batch) or ``gimp-3.0 -b ...`` (with
windows). Reads ``DREAMLAYER_SCENARIO`` (a JSON file: photo, out folder, mode, settings) and
writes ``checks.json`` there: check name -> passed, plus facts. Modes: ``batch`` (non-interactive
call), ``gui`` (the same call in GIMP with a window, then an undo typed by the test, which waits
for ``applied`` and writes ``undone``), ``dialog`` (interactive call: the Dream dialog, driven
by the test's engine wrapper; then the same undo).
"""
import json
import os
import time

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

PROCEDURE = "plug-in-dreamlayer-dream"
SCENARIO = json.load(open(os.environ["DREAMLAYER_SCENARIO"], encoding="utf-8"))
OUT = SCENARIO["out"]
CHECKS = {}
FACTS = {}


def check(name, passed, detail=""):
    CHECKS[name] = bool(passed)
    if detail:
        FACTS[name] = detail


def save():
    with open(os.path.join(OUT, "checks.json.part"), "w", encoding="utf-8") as handle:
        json.dump({"checks": CHECKS, "facts": FACTS}, handle, indent=1)
    os.replace(os.path.join(OUT, "checks.json.part"), os.path.join(OUT, "checks.json"))


def pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.CLAMP)


def selection_bytes(image, width, height):
    return image.get_selection().get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "Y u8",
                                                  Gegl.AbyssPolicy.NONE)


def wait_for_file(name, seconds):
    path = os.path.join(OUT, name)
    deadline = time.monotonic() + seconds
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    return os.path.exists(path)


def run_dream(image, drawable, interactive):
    proc = Gimp.get_pdb().lookup_procedure(PROCEDURE)
    check("the Dream procedure is registered", proc is not None)
    if proc is None:
        return None
    FACTS["menu"] = proc.get_menu_paths()
    FACTS["label"] = proc.get_menu_label()
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.INTERACTIVE if interactive else Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [drawable])
    for name, value in SCENARIO["settings"].items():
        config.set_property(name, value)
    started = time.monotonic()
    FACTS["called"] = time.time()
    result = proc.run(config)
    FACTS["seconds in the procedure"] = round(time.monotonic() - started, 2)
    status = result.index(0)
    FACTS["status"] = status.value_nick
    if status != Gimp.PDBStatusType.SUCCESS:
        FACTS["error"] = Gimp.get_pdb().get_last_error()
    return status


VARIANTS = {"RGB 8-bit": (None, False), "RGB 16-bit": ("U16_NON_LINEAR", False),
            "RGB 32-bit float": ("FLOAT_LINEAR", False), "grey 8-bit": (None, True),
            "grey 16-bit": ("U16_NON_LINEAR", True)}


def open_photo(precision, grey):
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(SCENARIO["photo"]))
    if grey:
        image.convert_grayscale()
    if precision:
        image.convert_precision(getattr(Gimp.Precision, precision))
    source = image.get_layers()[0]
    if not source.has_alpha():
        source.add_alpha()
    width, height = source.get_width(), source.get_height()
    image.select_ellipse(Gimp.ChannelOps.REPLACE, width * 0.2, height * 0.2, width * 0.6, height * 0.6)
    Gimp.Selection.feather(image, SCENARIO["feather"])
    image.clean_all()
    return image, source


def dream_and_check(variant, image, source, interactive):
    """The checks of one dream on ``source``; ``(before, selection)`` for the undo checks."""
    def named(text, passed, detail=""):
        check(f"{variant}: {text}", passed, detail)

    fmt = "R'G'B'A u8" if "8-bit" in variant else "R'G'B'A u16"
    size = 1 if "8-bit" in variant else 2
    width, height = source.get_width(), source.get_height()
    selection = selection_bytes(image, width, height)
    before = pixels(source, fmt)
    named("the selection is soft", any(0 < value < 255 for value in selection))
    status = run_dream(image, source, interactive)
    named("the dream succeeded", status == Gimp.PDBStatusType.SUCCESS, FACTS.pop("error", ""))
    layers = image.get_layers()
    FACTS[f"{variant}: layers"] = [layer.get_name() for layer in layers]
    named("one new layer", len(layers) == 2)
    if len(layers) != 2:
        return before, selection
    dream = layers[0]
    named("the new layer sits right above the source", layers[1] == source)
    named("the new layer is named after the settings", dream.get_name().startswith("Dream "), dream.get_name())
    mask = dream.get_mask()
    named("the new layer has a mask", mask is not None)
    if mask is None:
        return before, selection
    weights = pixels(mask, "Y u8")
    named("the mask equals the (soft) selection", weights == selection)
    named("the source layer is untouched", pixels(source, fmt) == before)
    after = pixels(dream, fmt)
    pixel = 4 * size
    outside = [i for i, w in enumerate(weights) if w == 0]
    inside = [i for i, w in enumerate(weights) if w == 255]
    named("there are pixels inside and outside the selection", outside and inside)
    changed = sum(after[pixel * i:pixel * i + 3 * size] != before[pixel * i:pixel * i + 3 * size] for i in inside)
    named("pixels inside the selection changed", changed > 0.5 * len(inside), f"{changed} of {len(inside)}")
    named("the dream keeps the source's alpha", all(after[pixel * i + 3 * size:pixel * (i + 1)]
                                                    == before[pixel * i + 3 * size:pixel * (i + 1)]
                                                    for i in range(width * height)))
    flat = image.duplicate()
    shown = pixels(flat.flatten(), fmt)
    named("pixels outside the selection unchanged",
          all(shown[pixel * i:pixel * i + 3 * size] == before[pixel * i:pixel * i + 3 * size] for i in outside))
    try:
        Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, flat,
                       Gio.File.new_for_path(os.path.join(OUT, variant.replace(" ", "_") + ".png")), None)
    finally:
        flat.delete()
    return before, selection


def failing(settings):
    """An engine failure: a clear message, and the image exactly as it was."""
    image, source = open_photo(None, False)
    before = pixels(source, "R'G'B'A u8")
    SCENARIO["settings"] = settings
    status = run_dream(image, source, False)
    check("failure: the call fails", status == Gimp.PDBStatusType.EXECUTION_ERROR, FACTS.get("error", ""))
    check("failure: the message names the model", "no-such-model" in (FACTS.get("error") or ""))
    check("failure: no layer added", len(image.get_layers()) == 1)
    check("failure: the source is untouched", pixels(source, "R'G'B'A u8") == before)
    check("failure: the image is not marked changed", not image.is_dirty())
    save()


def main():
    if SCENARIO["mode"] == "batch":
        for variant, (precision, grey) in VARIANTS.items():
            image, source = open_photo(precision, grey)
            dream_and_check(variant, image, source, False)
            save()
            image.delete()
        failing(dict(SCENARIO["settings"], model="no-such-model"))
        return
    variant = "RGB 8-bit"
    image, source = open_photo(None, False)
    Gimp.Display.new(image)
    Gimp.displays_flush()
    with open(os.path.join(OUT, "opened"), "w") as handle:
        handle.write("ok")
    before, selection = dream_and_check(variant, image, source, SCENARIO["mode"] == "dialog")
    save()
    Gimp.displays_flush()
    with open(os.path.join(OUT, "applied"), "w") as handle:
        handle.write("ok")
    undone = wait_for_file("undone", 120)
    time.sleep(0.5)
    layers = image.get_layers()
    check("one undo restores the layers", undone and [layer.get_name() for layer in layers]
          == [source.get_name()], [layer.get_name() for layer in layers])
    check("one undo keeps the source as it was", pixels(source, "R'G'B'A u8") == before)
    check("the selection is still there after the undo",
          selection_bytes(image, source.get_width(), source.get_height()) == selection)
    save()
    image.clean_all()


try:
    main()
except Exception as error:  # a failing scenario reports, then GIMP quits as usual
    import traceback

    FACTS["exception"] = traceback.format_exc()
    check("the scenario ran", False, repr(error))
    save()
