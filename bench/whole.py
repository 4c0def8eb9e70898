"""The README example as whole processes: start-up, loading and writing included, as a user waits.

``dreamlayer dream examples/cat.jpg -o OUT`` with the torch backend and with the onnx backend (no
torch imported), against the plain PyTorch script of ``bench/baseline.py`` run as its own process
(``python -m bench.baseline``). Fresh processes, interleaved round by round, so a slow spell on a
shared machine hits every side of a ratio; medians, and each process's own peak RSS.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any, Optional

from .cases import EXAMPLE
from .startup import command_line

ROOT = Path(__file__).resolve().parent.parent


def _run(command: list[str], env: Optional[dict[str, str]]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {error.strip()[-300:]}")
    return seconds, usage.ru_maxrss * 1024


def measure(python: str = sys.executable, rounds: int = 3, onnx_env: Optional[dict[str, str]] = None
            ) -> dict[str, Any]:
    """Median seconds and peak RSS per side, and the baseline's time over each dreamlayer side's."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        dream = command_line(python) + ["dream", EXAMPLE, "--force", "-o"]
        sides: dict[str, tuple[list[str], Optional[dict[str, str]]]] = {
            "baseline": ([python, "-m", "bench.baseline", EXAMPLE, "-o", str(out / "baseline.jpg")], onnx_env),
            "torch": (dream + [str(out / "torch.jpg"), "--backend", "torch"], onnx_env),
        }
        if onnx_env is not None:
            sides["onnx"] = (dream + [str(out / "onnx.jpg"), "--backend", "onnx"], onnx_env)
        runs: dict[str, list[tuple[float, int]]] = {side: [] for side in sides}
        for _ in range(rounds):
            for side, (command, env) in sides.items():
                runs[side].append(_run(command, env))
    seconds = {side: median(r[0] for r in done) for side, done in runs.items()}
    return {"rounds": rounds, "seconds": seconds,
            "peak_rss_mib": {side: max(r[1] for r in done) / 2**20 for side, done in runs.items()},
            "all_seconds": {side: [r[0] for r in done] for side, done in runs.items()},
            "baseline_over": {side: seconds["baseline"] / seconds[side] for side in seconds if side != "baseline"},
            "targets": {"torch": 2.0, "onnx": 2.5}}


def lines(figures: dict[str, Any]) -> list[str]:
    """Markdown rows: each side's seconds, peak memory and speed-up over the baseline, with its target."""
    rows = ["| README example, whole process | seconds | peak MiB | baseline / this | target |",
            "|---|---|---|---|---|"]
    for side, seconds in figures["seconds"].items():
        ratio = figures["baseline_over"].get(side)
        rows.append(f"| {side} | {seconds:.2f} | {figures['peak_rss_mib'][side]:.0f} | "
                    f"{'' if ratio is None else f'{ratio:.2f}'} | "
                    f"{'' if side not in figures['targets'] else '>= ' + str(figures['targets'][side])} |")
    return rows


def main() -> int:
    from .backends import graph_cache

    with graph_cache() as env:
        figures = measure(onnx_env=env)
    print("\n".join(lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
