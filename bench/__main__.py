"""``python -m bench``: dreamlayer against a plain PyTorch DeepDream loop, with ratios.

Every run is a fresh process (honest peak RSS); dreamlayer and baseline runs alternate, so a
slow spell on a shared machine hits both sides of a ratio. Results go to a JSON file and a
Markdown table on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Optional

from . import latency, machine, tree, user_waits
from .backends import graph_cache
from .ablations import ABLATIONS, spins
from .cases import Case, select
from .summary import ablation_table, summarize_case, table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MINUS = "dreamlayer-minus-"


def _child_env(kind: str, engine: Optional[Path]) -> dict[str, str]:
    env = dict(os.environ)
    if kind == "baseline" or (kind.startswith(MINUS) and spins(kind[len(MINUS):])):  # OpenMP's default policy
        env.pop("OMP_WAIT_POLICY", None)
    if kind == "baseline-passive":  # control: the baseline with the engine's thread policy
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    if engine is not None and kind.startswith("dreamlayer"):  # the other tree's engine (bench/tree.py);
        env[tree.ENV] = str(engine)  # the baseline stays this checkout's, the fixed reference
    return env


class OutOfTime(Exception):
    """The benchmark's time budget ran out during a run."""


def run_child(kind: str, case: Optional[Case], engine: Optional[Path], deadline: float) -> dict[str, Any]:
    """One measurement in a fresh interpreter; its last stdout line is the JSON result.

    ``kind``: peak, dreamlayer, baseline, baseline-passive, or dreamlayer-minus-ABLATION.
    """
    job: dict[str, Any] = {"kind": "baseline" if kind.startswith("baseline") else kind}
    if kind.startswith(MINUS):
        job = {"kind": "dreamlayer", "ablation": kind[len(MINUS):]}
    if case is not None:
        job["case"] = case.to_dict()
    left = deadline - time.monotonic()
    if left <= 0:
        raise OutOfTime(f"no time left for the {kind} run")
    try:
        done = subprocess.run([sys.executable, "-m", "bench.measure", json.dumps(job)], cwd=ROOT,
                              env=_child_env(kind, engine), capture_output=True, text=True, timeout=left)
    except subprocess.TimeoutExpired:
        raise OutOfTime(f"the {kind} run was stopped after {left:.0f} s") from None
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{kind} run of {case.name if case else 'peak'} failed: {tail}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    expected = ((engine if engine is not None and kind.startswith("dreamlayer") else ROOT) / "engine").resolve()
    if "engine_folder" in figures and Path(figures["engine_folder"]) != expected:
        raise RuntimeError(f"the {kind} run imported the engine from {figures['engine_folder']}, not {expected}")
    return figures


def _impls(case: Case, control: bool, ablations: bool = False) -> list[str]:
    if ablations:
        return ["dreamlayer"] + [MINUS + name for name in ABLATIONS]
    if not case.baseline:
        return ["dreamlayer"]
    return ["baseline", "dreamlayer"] + (["baseline-passive"] if control or case.control else [])


def run_case(case: Case, runs: dict[str, list[dict[str, Any]]], repeats: Optional[int], engine: Optional[Path],
             deadline: float) -> None:
    """All runs of a case into ``runs``, interleaved; the order flips every round so neither side
    always goes first."""
    for round_ in range(repeats or case.repeats):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for impl in order:
            result = run_child(impl, case, engine, deadline)
            runs[impl].append(result)
            print(f"  {case.name:<11} {impl:<32} {result['seconds']:7.2f} s  "
                  f"peak RSS {result['peak_rss_bytes'] / 2**20:6.0f} MiB  "
                  f"gain {result['objective_after'] - result['objective_before']:7.2f}", flush=True)


def _parse(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny cases only: checks the machinery in seconds")
    p.add_argument("--case", action="append", dest="cases", metavar="NAME", help="run only this case (repeatable)")
    p.add_argument("--repeats", type=int, help="override every case's number of rounds")
    p.add_argument("--control", action="store_true",
                   help="in every case, also run the baseline with the engine's OpenMP wait policy "
                        "(the README case always does), to separate that effect from the rest")
    p.add_argument("--ablations", action="store_true",
                   help="instead of the baseline, run dreamlayer with each optimisation undone in turn "
                        "(README case unless --case is given)")
    p.add_argument("--no-latency", action="store_true", help="skip the engine start and Preview latency")
    p.add_argument("--no-user-waits", action="store_true",
                   help="skip start-up, the README example as whole processes, 12 MP through the engine and the "
                        "step's floor (minutes)")
    p.add_argument("--engine", type=Path, metavar="DIR",
                   help="measure the dreamlayer package in DIR (a tree laid out like this checkout's, e.g. "
                        "another commit's) instead of this checkout, for before/after figures; skips the latency")
    p.add_argument("--out", type=Path, help="JSON results file (default bench/results/<time>.json)")
    p.add_argument("--budget", type=float, default=540,
                   help="seconds for all runs (default 540); cases that do not fit are reported as cut short")
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = _parse(argv)
    try:
        cases = select(args.cases or (["readme"] if args.ablations else None), args.quick)
    except ValueError as exc:
        print(f"python -m bench: {exc}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        if not (args.quick or args.ablations or args.engine) and (
                not args.no_user_waits or any(c.settings.get("backend") == "onnx" for c in cases)):
            print("exporting the ONNX graph the onnx backend dreams with ...", flush=True)
            # every child process of this run dreams from this private cache, which holds the graph
            os.environ.update(stack.enter_context(graph_cache()))
        return _run(args, cases)


def _run(args: argparse.Namespace, cases: list[Case]) -> int:
    started = time.perf_counter()
    deadline = time.monotonic() + args.budget
    load_before = os.getloadavg()
    print(f"load average {load_before[0]:.1f}; measuring peak ...", flush=True)
    peaks = [run_child("peak", None, args.engine, deadline + 120)]
    latency_figures = None
    if not (args.no_latency or args.quick or args.ablations or args.engine):
        print("engine start and Preview latency ...", flush=True)
        latency_figures = latency.measure()
    results = []
    for case in cases:
        entry: dict[str, Any] = {"name": case.name, "title": case.title, "case": case.to_dict()}
        results.append(entry)
        if case.skip:
            print(f"  {case.name:<11} skipped: {case.skip}")
            entry["skipped"] = case.skip
            continue
        runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in _impls(case, args.control, args.ablations)}
        try:
            run_case(case, runs, args.repeats, args.engine, deadline)
        except OutOfTime as exc:
            print(f"  {case.name:<11} cut short: {exc}")
            entry["cut_short"] = str(exc)
        except RuntimeError as exc:  # one case failing must not cost the others
            print(f"  {case.name:<11} failed: {exc}")
            entry["failed"] = str(exc)
        entry["runs"] = runs
    waits = None
    if not (args.no_user_waits or args.quick or args.ablations or args.engine):
        print("what the user waits for beyond the loop ...", flush=True)
        waits = user_waits.measure(dict(os.environ), lambda text: print("  " + text, flush=True))
    # the closing peak runs whatever the budget left: without it the whole run would be lost
    peaks.append(run_child("peak", None, args.engine, time.monotonic() + 120))
    peak_flops = max(p["best_flops"] for p in peaks)
    for entry in results:
        if any(entry.get("runs", {}).values()):
            entry["summary"] = summarize_case(entry["runs"], peak_flops)
    report = {"machine": machine.describe(), "load_average": {"start": load_before, "end": os.getloadavg()},
              "engine": str(args.engine or ROOT), "peak": peaks, "peak_flops": peak_flops, "cases": results,
              "latency": latency_figures, "user_waits": waits, "wall_seconds": time.perf_counter() - started}
    out = args.out or RESULTS / time.strftime("%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print()
    print(f"Machine: {machine.line(report['machine'])}")
    print(ablation_table(results) if args.ablations else table(results, peak_flops))
    if waits:
        print("\n" + "\n".join(user_waits.lines(waits)))
    if latency_figures:
        print(f"Engine start to ready: {latency_figures['start_to_ready_warm_s']:.2f} s warm "
              f"({latency_figures['start_to_ready_first_s']:.2f} s first); Preview to first preview image "
              f"at {latency_figures['preview_size'][0]} px: {latency_figures['first_preview_median_s']:.2f} s "
              f"(median of {len(latency_figures['first_preview_s'])}).")
    print(f"Load average {load_before[0]:.1f} at start, {report['load_average']['end'][0]:.1f} at end; "
          f"{report['wall_seconds']:.0f} s in all; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
