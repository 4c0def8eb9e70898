"""The figures of what a user waits for beyond the dream loop, gathered for ``python -m bench``.

Start-up (``bench.startup``), the README example as whole processes against the plain script
(``bench.whole``), a 12 MP dream through the engine process (``bench.big``), the editor side of
Apply at 12 MP in the real Krita (``bench.krita_apply``, where Krita is installed) and the step
against its floor (``bench.floor``, in its own process). The onnx backend dreams from a graph exported
and imported into a private cache first, as a user would get one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from . import big, krita_apply, startup, step_kinds, whole

ROOT = Path(__file__).resolve().parent.parent


def _floor() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "floor.json"
        done = subprocess.run([sys.executable, "-m", "bench.floor", "--out", str(out)], cwd=ROOT, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RuntimeError(f"bench.floor failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        return json.loads(out.read_text())


def measure(env: dict[str, str], log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every figure; ``env``'s model cache must hold the default model's graph (``backends.graph_cache``).
    A part that fails is recorded as its error, the others still run."""
    figures: dict[str, Any] = {}

    def part(name: str, run: Callable[[], Any]) -> None:
        log(f"{name} ...")
        try:
            figures[name] = run()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            figures[name] = {"failed": str(exc)}
            log(f"  {name} failed: {exc}")

    part("startup", lambda: startup.measure(onnx_env=env))
    part("whole_process", lambda: whole.measure(onnx_env=env))
    part("engine_12mp", lambda: [big.measure(backend, env=env) for backend in ("torch", "onnx")])
    part("krita_apply_12mp", krita_apply.measure)
    part("floor", _floor)
    return figures


def lines(figures: dict[str, Any]) -> list[str]:
    """The figures as Markdown tables."""
    out: list[str] = []
    if "failed" not in figures.get("startup", {"failed": ""}):
        out += startup.lines(figures["startup"]) + [""]
    if "failed" not in figures.get("whole_process", {"failed": ""}):
        out += whole.lines(figures["whole_process"]) + [""]
    big_runs = figures.get("engine_12mp")
    if isinstance(big_runs, list):
        out += ["| 12 MP through the engine process (1 step per octave) | seconds | engine peak MiB | limit |",
                "|---|---|---|---|"]
        out += [f"| {r['backend']} | {r['seconds']:.0f} | {r['engine_peak_rss_mib']:.0f} | {r['limit_mib']} |"
                for r in big_runs] + [""]
    apply = figures.get("krita_apply_12mp", {})
    out += [krita_apply.summary(apply), ""] if apply else []
    floor = figures.get("floor", {})
    if "step_over_floor" in floor:
        out.append(f"Step against its floor ({floor['tile'][0]}x{floor['tile'][1]} tile, {floor['threads']} threads): "
                   f"floor {floor['step_floor_ms']:.1f} ms (2 x the fastest forward: torch "
                   f"{floor['engine_forward_ms']:.1f}, ONNX Runtime on the plain export "
                   f"{floor['onnx_forward_ms']:.1f}, on the onnx backend's graph {floor['onnx_graph_forward_ms']:.1f} "
                   f"ms); torch step {floor['engine_step_ms']:.1f} ms, **{floor['step_over_floor']:.2f}x**; onnx "
                   f"backend step {floor['onnx_graph_step_ms']:.1f} ms, **{floor['onnx_graph_step_over_floor']:.2f}x** "
                   f"(target <= 1.2).")
        if "engine_convolutions_over_floor" in floor:
            step_ms, shares = floor["onnx_graph_step_ms"], floor["onnx_graph_step_shares"]
            rest = [f"{kind} {shares[kind] * step_ms:.1f} ms" for kind in step_kinds.KINDS[1:]]
            out.append(f"Their convolutions alone (`bench/step_kinds.py`): torch "
                       f"{floor['engine_convolutions_over_floor']:.2f}x the floor, onnx backend "
                       f"{floor['onnx_graph_convolutions_over_floor']:.2f}x; the rest of the onnx step is "
                       + ", ".join(rest) + ".")
    if "lanes_step_over_floor" in floor:
        out.append(f"In {floor['lanes']} lanes, as the dream runs ({floor['lanes_tile'][0]}x{floor['lanes_tile'][1]} "
                   f"tiles): step {floor['lanes_step_ms_per_tile']:.1f} ms a tile, floor 2 x "
                   f"{floor['lanes_forward_ms_per_tile']:.1f} ms, **{floor['lanes_step_over_floor']:.2f}x**.")
    return out
