"""Torch against ONNX Runtime: the same step, the same picture, each backend in its own process.

``python -m bench.backends`` times a whole dream step (every tile's value and input gradient,
as the dream loop asks for it) with each backend at three picture sizes, odd and even, in fresh
processes that alternate (torch, onnx, torch, onnx), and compares their gradients and objective
values, and both with the float64 gradient (where float32 rounding tips a ReLU6 input across
its kink, either library may be the one that differs). Peak memory is each process's own. The
ONNX graph is exported (once, into a private cache) up to the layer dreamed, as ``dreamlayer
export-onnx --up-to`` gives a user.
Writes ``bench/results/backends.json`` and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from . import machine

ROOT = Path(__file__).resolve().parent.parent
MODEL, LAYER = "efficientnet-lite0", "blocks.9"
SIZES = [(417, 301), (512, 384), (1024, 768)]  # width x height: odd, even, and 4 tiles


def _picture(width: int, height: int) -> np.ndarray:
    from PIL import Image

    photo = Image.open(ROOT / "examples" / "cat.jpg").convert("RGB").resize((width, height), Image.LANCZOS)
    return np.ascontiguousarray(np.asarray(photo, np.float32).transpose(2, 0, 1)[None] / 255)


def worker(backend: str, width: int, height: int, repeats: int, out: Path) -> dict[str, Any]:
    """In this process: open the backend, time ``repeats`` steps, save the gradient."""
    from dreamlayer.engine import runtime

    runtime.configure()
    from dreamlayer.engine.backends import open_backend
    from dreamlayer.engine.memory import peak_rss_bytes
    from dreamlayer.engine.tiling import auto_tile, tiled_gradient
    from dreamlayer.settings import DreamSettings

    image = _picture(width, height)
    started = time.perf_counter()
    chosen = open_backend(DreamSettings(backend=backend, layers=[LAYER]))
    opened = time.perf_counter() - started
    tile = auto_tile(None)
    grad, value = tiled_gradient(image, chosen.gradient, tile)  # warm-up: kernels chosen, memory planned
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        tiled_gradient(image, chosen.gradient, tile)
        times.append(time.perf_counter() - started)
    np.save(out, grad)
    return {"backend": backend, "device": chosen.device, "ms_per_step": 1000 * statistics.median(times),
            "ms_all": [1000 * t for t in times], "value": value, "open_s": opened, "peak_rss_bytes": peak_rss_bytes()}


def float64_gradient(width: int, height: int, out: Path) -> dict[str, Any]:
    """The reference: the torch network in float64, where no ReLU6 input rounds across a kink."""
    import copy

    import torch

    from dreamlayer.engine.models import registry
    from dreamlayer.engine.models.network import DreamNet
    from dreamlayer.engine.objectives import build_objective
    from dreamlayer.settings import DreamSettings

    from dreamlayer.engine.tiling import auto_tile, tiled_gradient

    net = registry.load(MODEL, torch.device("cpu"))
    double = DreamNet(net.spec, copy.deepcopy(net.net).double(), torch.device("cpu"))
    scorer = build_objective(DreamSettings(layers=[LAYER]), double)

    def gradient(tile: np.ndarray) -> tuple[np.ndarray, float]:
        x = torch.from_numpy(tile).requires_grad_(True)
        value = scorer(double.activations(x, scorer.layers))
        (grad,) = torch.autograd.grad(value, x)
        return grad.numpy(), value.item()

    grad, value = tiled_gradient(_picture(width, height).astype(np.float64), gradient, auto_tile(None))  # as dreamt
    np.save(out, grad)
    return {"backend": "float64", "value": value}


def _run_worker(backend: str, size: tuple[int, int], repeats: int, folder: Path, env: dict[str, str],
                round_: int) -> dict[str, Any]:
    out = folder / f"{backend}-{size[0]}x{size[1]}-{round_}.npy"
    done = subprocess.run([sys.executable, "-m", "bench.backends", "--worker", backend, "--size",
                           f"{size[0]}x{size[1]}", "--repeats", str(repeats), "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["gradient_file"] = str(out)
    return figures


@contextmanager
def graph_cache(layer: str = LAYER) -> Iterator[dict[str, str]]:
    """An environment whose private model cache holds the default model's graph up to ``layer`` (the
    README's by default), exported and imported as a user would (``export-onnx --up-to``, ``models import``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = dict(os.environ, DREAMLAYER_CACHE=str(folder / "cache"))
        graph = folder / "graph.onnx"
        subprocess.run([sys.executable, "-m", "dreamlayer.cli", "export-onnx", MODEL, "--up-to", layer, "-o",
                        str(graph)], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "dreamlayer.cli", "models", "import", str(graph)], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        yield env


def compare(repeats: int, rounds: int) -> dict[str, Any]:
    with graph_cache() as env:
        folder = Path(env["DREAMLAYER_CACHE"]).parent
        rows = []
        for size in SIZES:
            runs: dict[str, list[dict[str, Any]]] = {"torch": [], "onnx": []}
            for round_ in range(rounds):
                for backend in ("torch", "onnx"):
                    runs[backend].append(_run_worker(backend, size, repeats, folder, env, round_))
            t, o = runs["torch"][0], runs["onnx"][0]
            expected, got = np.load(t["gradient_file"]), np.load(o["gradient_file"])
            exact = np.load(_run_worker("float64", size, 0, folder, env, 0)["gradient_file"])

            def off(g: np.ndarray, exact: np.ndarray = exact) -> float:
                return float(np.linalg.norm(g - exact) / np.linalg.norm(exact))

            step = {b: statistics.median(r["ms_per_step"] for r in runs[b]) for b in runs}
            rows.append({
                "size": f"{size[0]}x{size[1]}",
                "gradient_relative_l2": float(np.linalg.norm(got - expected) / np.linalg.norm(expected)),
                "gradient_max_error_of_max": float(np.abs(got - expected).max() / np.abs(expected).max()),
                "torch_vs_float64_l2": off(expected), "onnx_vs_float64_l2": off(got),
                "objective_relative_error": abs(o["value"] - t["value"]) / abs(t["value"]),
                "torch_ms_per_step": step["torch"], "onnx_ms_per_step": step["onnx"],
                "onnx_over_torch": step["onnx"] / step["torch"],
                "torch_peak_rss_mib": max(r["peak_rss_bytes"] for r in runs["torch"]) / 2**20,
                "onnx_peak_rss_mib": max(r["peak_rss_bytes"] for r in runs["onnx"]) / 2**20,
                "torch_open_s": statistics.median(r["open_s"] for r in runs["torch"]),
                "onnx_open_s": statistics.median(r["open_s"] for r in runs["onnx"]),
                "runs": {b: [{k: v for k, v in r.items() if k != "gradient_file"} for r in runs[b]] for b in runs},
            })
    return {"machine": machine.describe(), "model": MODEL, "layer": LAYER, "repeats": repeats, "rounds": rounds,
            "rows": rows}


def table(result: dict[str, Any]) -> str:
    lines = ["| size | gradient rel. L2 | max gradient error / max | torch vs float64 | ONNX vs float64 | "
             "objective rel. error | torch ms/step | ONNX ms/step | ONNX / torch | torch peak MiB | ONNX peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['size']} | {r['gradient_relative_l2']:.1e} | {r['gradient_max_error_of_max']:.1e} | "
                     f"{r['torch_vs_float64_l2']:.1e} | {r['onnx_vs_float64_l2']:.1e} | "
                     f"{r['objective_relative_error']:.1e} | {r['torch_ms_per_step']:.0f} | "
                     f"{r['onnx_ms_per_step']:.0f} | {r['onnx_over_torch']:.2f} | {r['torch_peak_rss_mib']:.0f} | "
                     f"{r['onnx_peak_rss_mib']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backends", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per process (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="processes per backend and size, alternating")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "backends.json")
    parser.add_argument("--worker", choices=("torch", "onnx", "float64"), help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        width, height = (int(v) for v in args.size.split("x"))
        figures = (float64_gradient(width, height, args.out) if args.worker == "float64"
                   else worker(args.worker, width, height, args.repeats, args.out))
        print(json.dumps(figures))
        return 0
    result = compare(args.repeats, args.rounds)
    from dreamlayer.engine.files import write_text

    write_text(args.output, json.dumps(result, indent=1) + "\n")
    print(machine.line(result["machine"]))
    print(table(result))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
