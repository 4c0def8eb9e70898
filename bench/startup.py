"""Start-up as the user waits for it: ``--help``, the engine process until ready, and until its first step.

Every figure is a fresh process, median of ``repeats``, measured from this side (``Popen`` to
output). "First step" is the engine process as the dialog starts it, sent the README example at
once: start-up, model (or graph) loading and one step, until its first progress message. It is
set against ``import torch`` alone: a torch dream cannot start sooner than that import, and the
target is at most 0.5 s more; the onnx backend needs no torch at all.

``python -m bench.startup`` prints the figures; ``python -m bench`` includes them in its results.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any, Optional

from .cases import EXAMPLE
from .latency import Engine, dream_request, example_image

ROOT = Path(__file__).resolve().parent.parent


def _seconds(command: list[str], env: Optional[dict[str, str]] = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def command_line(python: str) -> list[str]:
    """The installed ``dreamlayer`` script beside ``python``, as a user runs it (else ``python -m``)."""
    script = Path(python).with_name("dreamlayer")
    return [str(script)] if script.is_file() else [python, "-m", "dreamlayer.cli"]


def help_seconds(python: str, repeats: int) -> dict[str, float]:
    """Median seconds of ``dreamlayer --help`` and of every subcommand's ``--help``."""
    from dreamlayer.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = [""] + sorted(sub.choices or {})
    base = command_line(python)
    return {name or "(none)": median(_seconds(base + ([name] if name else []) + ["--help"]) for _ in range(repeats))
            for name in commands}


def first_step_seconds(python: str, backend: str, env: Optional[dict[str, str]] = None) -> tuple[float, float]:
    """Engine process start to ready, and to the first step of the README example (default settings)."""
    from dreamlayer.settings import DreamSettings

    from PIL import Image as PILImage

    width, height = PILImage.open(ROOT / EXAMPLE).size
    started = time.perf_counter()
    engine = Engine(python, ["--backend", backend], env=env)
    try:
        dream_request(engine, 1, example_image(width, height), DreamSettings())
        engine.until("progress", dream_id=1)
        first = time.perf_counter() - started
        engine.send("cancel", id=2, target=1)
        engine.until("cancelled", "result", dream_id=1)
    finally:
        engine.close()
    return engine.ready_seconds, first


def measure(python: str = sys.executable, repeats: int = 3, onnx_env: Optional[dict[str, str]] = None
            ) -> dict[str, Any]:
    """Every start-up figure; ``onnx_env`` is an environment whose cache holds a graph for the default
    model (without it the onnx backend is not measured)."""
    helps = help_seconds(python, repeats)
    torch_import = median(_seconds([python, "-c", "import torch"]) for _ in range(repeats))
    backends = {"torch": None} if onnx_env is None else {"torch": None, "onnx": onnx_env}
    first: dict[str, dict[str, float]] = {}
    for backend, env in backends.items():
        runs = [first_step_seconds(python, backend, env) for _ in range(repeats)]
        first[backend] = {"start_to_ready_s": median(r[0] for r in runs),
                          "start_to_first_step_s": median(r[1] for r in runs)}
    return {"help_s": helps, "help_slowest_s": max(helps.values()), "import_torch_s": torch_import,
            "engine": first, "first_step_target_s": torch_import + 0.5, "repeats": repeats}


def lines(figures: dict[str, Any]) -> list[str]:
    """The start-up figures as Markdown table rows (figure, seconds, target)."""
    rows = ["| start-up figure | seconds | target |", "|---|---|---|",
            f"| `dreamlayer --help` | {figures['help_s']['(none)']:.2f} | <= 0.3 |",
            f"| slowest subcommand `--help` | {figures['help_slowest_s']:.2f} | <= 0.3 |",
            f"| `import torch` alone | {figures['import_torch_s']:.2f} | |"]
    for backend, f in figures["engine"].items():
        rows.append(f"| engine process start to ready ({backend}) | {f['start_to_ready_s']:.2f} | <= 2 |")
        rows.append(f"| engine process start to first step, README example ({backend}) | "
                    f"{f['start_to_first_step_s']:.2f} | <= {figures['first_step_target_s']:.2f} |")
    return rows


def main() -> int:
    from .backends import graph_cache

    with graph_cache() as env:
        figures = measure(onnx_env=env)
    print(json.dumps(figures, indent=1))
    print("\n".join(lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
