"""The editor side of Apply at 12 megapixels, in the real Krita: the issue's "under 1 s at 12 MP".

One Krita session (Xvfb, a HOME prepared by the installer, the test-only driver of tests/krita) opens
the example photo enlarged to 4000x3000 (RGBA, 8 bit) and runs ``tests/krita/scenario_apply_bench.py``:
reading the source as the Dream command does when the dialog opens, then the plugin's own
``apply_dream`` (driven by its ``run_steps``) from the dream in hand to the new layer, one undo step,
without a selection and with a feathered one, ``repeats`` times each, median. No engine is needed:
the dream is the photo with its colours inverted, made before the clock starts.

``busy`` is the time Krita's UI thread spends inside the plugin's steps (its Python and the Krita calls
it makes); ``wall`` is until the layer is in place, the event-loop pauses between steps included (what
the painter waits). On a loaded machine both grow with the load; ``busy_cpu`` (the UI thread's CPU
seconds in those steps) and ``krita_cpu`` (all of Krita's threads, its compositing included, from
Apply to the layer) much less. Screenshots, composites and profiles stay in the work folder.

    python -m bench.krita_apply [--out bench/results/krita_apply.json] [--repeats 3] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
KRITA_TESTS = ROOT / "tests" / "krita"
SCENARIO = KRITA_TESTS / "scenario_apply_bench.py"
DEFAULT_OUT = ROOT / "bench" / "results" / "krita_apply.json"
TARGET_S = 1.0


def _harness() -> Any:
    """tests/krita's harness and e2e helpers (Xvfb, HOME, installer, example photo)."""
    if str(KRITA_TESTS) not in sys.path:
        sys.path.insert(0, str(KRITA_TESTS))
    import krita_e2e
    import krita_harness

    return krita_harness, krita_e2e


def measure(repeats: int = 3, width: int = 4000, height: int = 3000, work: Optional[Path] = None,
            timeout: float = 900.0) -> dict[str, Any]:
    """Every figure of one Krita session at ``width`` x ``height`` (about 2-4 min at 12 MP on a quiet
    2-core machine, Krita's start included); ``work`` keeps the screenshots (a temporary folder if None)."""
    harness, e2e = _harness()
    missing = harness.missing_tools()
    if missing:
        return {"error": f"not installed: {', '.join(missing)}"}
    with tempfile.TemporaryDirectory(prefix="dreamlayer-krita-apply-") as scratch:
        folder = (work or Path(scratch)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        home = folder / "home"
        harness.prepare_home(home, [])
        installed = e2e.install_plugin(home, sys.executable)
        if installed.returncode != 0:
            return {"error": f"install failed: {installed.stderr.strip() or installed.stdout.strip()}"}
        e2e.make_picture(folder / "in.png", width, height)
        (folder / "figures.json").unlink(missing_ok=True)
        display = harness.start_display()
        try:
            run = harness.run_krita(home, SCENARIO, display, folder / "scenario.log", timeout,
                                    env={"DREAMLAYER_E2E_DIR": str(folder), "DREAMLAYER_BENCH_REPEATS": str(repeats)},
                                    timeout_shot=folder / "screen-timeout.png")
        finally:
            display.stop()
        figures: dict[str, Any] = json.loads((folder / "figures.json").read_text()) \
            if (folder / "figures.json").exists() else {}
    figures.update(size=[width, height], megapixels=round(width * height / 1e6, 1), target_s=TARGET_S,
                   load_average=[round(x, 2) for x in os.getloadavg()], cpus=os.cpu_count(),
                   work=str(work) if work else None,
                   run={"returncode": run.returncode, "seconds": round(run.seconds, 1), "timed_out": run.timed_out,
                        "failed": "FAILED" in run.log, "log_tail": run.log[-2000:]})
    return figures


def summary(figures: dict[str, Any]) -> str:
    """One line: the apply medians against the target, and reading the source."""
    if "error" in figures or "apply_feathered_selection" not in figures:
        return f"krita_apply: no figures ({figures.get('error') or figures.get('run')})"
    plain, soft = figures["apply_no_selection"], figures["apply_feathered_selection"]
    return (f"krita_apply {figures['megapixels']} MP: Apply wall {plain['wall_s']} s "
            f"(Krita CPU {plain['krita_cpu_s']}) "
            f"without selection, {soft['wall_s']} s (Krita CPU {soft['krita_cpu_s']}) feathered; read source "
            f"{figures['read_source_no_selection_s']} s / {figures['read_source_feathered_selection_s']} s; "
            f"target < {figures['target_s']} s; load {figures['load_average'][0]}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--work", type=Path, help="keep screenshots, composites and profiles here")
    args = parser.parse_args(argv)
    width, height = (int(part) for part in args.size.split("x"))
    figures = measure(args.repeats, width, height, args.work)
    from dreamlayer.engine.files import write_text

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.out, json.dumps(figures, indent=1) + "\n")
    print(summary(figures))
    return 0 if "apply_feathered_selection" in figures and not figures["run"]["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
