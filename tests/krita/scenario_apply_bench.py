"""Runs inside Krita (via the test driver) for ``bench/krita_apply.py``: the editor side of Apply at full size.

``DREAMLAYER_E2E_DIR`` holds ``in.png`` (the photo at the benchmark's size) and receives ``figures.json``,
screenshots and the profiles. Timed: reading the source as the Dream command does when the dialog opens
(``adapter.read_source``), and the plugin's own ``apply.apply_dream`` driven by its own ``run_steps``, from the
dream in hand (colours inverted, made outside the timed region) to the new layer in the document, without and
with a feathered selection. Each apply is undone (one step, checked) before the next. Besides wall
seconds: the UI thread's CPU seconds inside the plugin's steps, and Krita's CPU seconds (every thread:
its compositing workers too) from the start of Apply to the layer, which a loaded machine inflates less.
"""
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from functools import partial

from krita import Krita, Selection

sys.path.insert(0, os.path.dirname(__file__))
from scenario_dream import OUT, layers, shoot, timed, tree  # noqa: E402

from dreamlayer.pixels import Image  # noqa: E402
from dreamlayer.plugin.krita import adapter, apply  # noqa: E402
from dreamlayer.plugin.krita.host import Application, Document  # noqa: E402

REPEATS = int(os.environ.get("DREAMLAYER_BENCH_REPEATS", "3"))
FEATHER = int(os.environ.get("DREAMLAYER_BENCH_FEATHER", "60"))
# The plugin's calls the breakdown names (cumulative seconds of each, from the profile).
PHASES = {"swap_red_blue": "BGRA<->RGBA byte swap", "set_pixels": "setPixelData (layer or mask)",
          "add": "addChildNode", "copy": "duplicate the layer with its mask", "wait": "waitForDone",
          "trigger": "Krita actions (mask, undo)", "unique_name": "unique layer name",
          "activate": "setActiveNode / activeNode"}
INVERT = bytes(range(255, -1, -1))


def rss_mib():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fit(app, document):
    """Zoom the view to show the whole picture (Krita 5.1 has no zoom_to_fit action for Python)."""
    canvas = app.activeWindow().activeView().canvas()
    canvas.setZoomLevel(min(1200 / document.width(), 700 / document.height()))


def inverted(image):
    """The stand-in dream: colours inverted, alpha kept (made before the clock starts)."""
    data = bytearray(image.data.translate(INVERT))
    data[3::4] = image.data[3::4]
    return Image(image.width, image.height, bytes(data), image.depth)


def phases(profile):
    """Cumulative (CPU) seconds of the plugin's named calls (``PHASES``), from one or more merged profiles."""
    stats = pstats.Stats(profile)
    found = {}
    for (path, _, function), entry in stats.stats.items():
        if function in PHASES and "dreamlayer" in path:
            found[function] = found.get(function, 0.0) + entry[3]
    return {PHASES[name]: round(seconds, 3) for name, seconds in sorted(found.items(), key=lambda kv: -kv[1])}


def read_times(app, document, label, figures):
    spent = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        read = adapter.read_source(Application(app), Document(document))
        spent.append(time.perf_counter() - began)
        yield 100
    figures[f"read_source_{label}_s"] = round(statistics.median(spent), 3)
    figures[f"read_source_{label}_runs_s"] = [round(s, 3) for s in spent]
    return read


def arrived(finished, key, value):
    """``run_steps``'s done or failed callback: what came and when."""
    finished.update({key: value, "at": time.perf_counter()})


def apply_times(driver, app, document, read, mask, label, figures):
    """Apply ``REPEATS`` times through ``run_steps``: busy seconds (inside the plugin's steps, Krita's calls
    included), wall seconds (to the layer, the event loop's pauses included), one undo after each."""
    dreamed = inverted(read.image)
    before = tree(document)
    busy, cpu, process_cpu, wall, after_tree, problems = [], [], [], [], None, []
    profile = cProfile.Profile(time.thread_time)  # CPU seconds of the UI thread: robust to a loaded machine
    for run in range(REPEATS):
        spent, thread_cpu, finished = [], [], {}
        began, began_cpu = time.perf_counter(), time.process_time()
        steps = apply.apply_dream(Application(app), Document(document), read, dreamed, mask, "Dream bench")
        apply.run_steps(timed(steps, spent, profile, thread_cpu), partial(arrived, finished, "layer"),
                        partial(arrived, finished, "error"))
        while not finished:
            yield 5
        process_cpu.append(time.process_time() - began_cpu)
        if "error" in finished:
            problems.append(str(finished["error"]))
            break
        figures[f"apply_{label}_steps_busy_s_last_run"] = [round(s, 3) for s in spent]
        busy.append(sum(spent))
        cpu.append(sum(thread_cpu))
        wall.append(finished["at"] - began)
        after_tree = tree(document)
        if run == 0:
            fit(app, document)
            yield 1500
            shoot(f"applied-{label}.png")
            document.thumbnail(800, 600).save(os.path.join(OUT, f"applied-{label}-composite.png"))
            figures[f"krita_rss_after_apply_{label}_mib"] = round(rss_mib())
        app.action("edit_undo").trigger()
        document.waitForDone()
        yield 500
        if tree(document) != before:
            problems.append(f"one undo did not restore the layers: {tree(document)}")
            break
    with open(os.path.join(OUT, f"apply-profile-{label}.txt"), "w", encoding="utf-8") as handle:
        pstats.Stats(profile, stream=handle).sort_stats("cumulative").print_stats(30)
    figures[f"apply_{label}"] = {
        "busy_s": round(statistics.median(busy), 3) if busy else None,
        "wall_s": round(statistics.median(wall), 3) if wall else None,
        "busy_cpu_s": round(statistics.median(cpu), 3) if cpu else None,
        "krita_cpu_s": round(statistics.median(process_cpu), 3) if process_cpu else None,
        "busy_runs_s": [round(s, 3) for s in busy], "wall_runs_s": [round(s, 3) for s in wall],
        "phases_cpu_total_over_runs_s": phases(profile), "layers_after": after_tree, "problems": problems}
    driver.log(f"apply {label}: {figures[f'apply_{label}']}")


def main(driver):
    figures = {"repeats": REPEATS}
    try:
        app = Krita.instance()
        figures["krita"] = app.version()
        app.activeWindow().qwindow().setGeometry(0, 0, 1400, 900)
        document = app.openDocument(os.path.join(OUT, "in.png"))
        app.activeWindow().addView(document)
        yield 1500
        document.waitForDone()
        figures["document"] = [document.width(), document.height(), document.colorModel(), document.colorDepth()]
        document.setActiveNode(layers(document)[0])
        yield 500
        figures["krita_rss_open_mib"] = round(rss_mib())
        read = yield from read_times(app, document, "no_selection", figures)
        yield from apply_times(driver, app, document, read, None, "no_selection", figures)
        selection = Selection()
        width, height = document.width(), document.height()
        selection.select(width // 4, height // 4, width // 2, height // 2, 255)
        selection.feather(FEATHER)
        document.setSelection(selection)
        document.setActiveNode(layers(document)[0])
        yield 500
        read = yield from read_times(app, document, "feathered_selection", figures)
        soft = len(read.mask.data) - read.mask.data.count(0) - read.mask.data.count(255)
        figures["mask_soft_pixels"] = soft
        yield from apply_times(driver, app, document, read, read.mask, "feathered_selection", figures)
    finally:
        with open(os.path.join(OUT, "figures.json"), "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=1)
