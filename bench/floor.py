"""How far a dream step is from the floor the best available CPU kernels set.

``python -m bench.floor`` times, in one process on one tile, the engine's truncated forward,
its whole step (forward and input gradient), ONNX Runtime running the same truncated network
exported from the plain reference network (``bench.baseline.load_plain``), and the onnx backend
on the graph ``export-onnx`` writes (its forward and its step). A step needs at least two
forwards' work (the input gradient has the forward's multiply-adds), so twice the fastest
forward is a floor for a step, and the README dream scaled by floor / step is a floor for the
whole dream. Each step is also split by kind of operator (``bench/step_kinds.py``): its
convolutions alone against the floor say how much of the distance the rest of the step makes.
Prints the figures and writes them to a JSON file.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Callable, Optional

from dreamlayer.engine import runtime

runtime.configure()  # first: it sets the process up before torch loads

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from dreamlayer.engine.models import registry  # noqa: E402
from dreamlayer.engine.models.network import DreamNet  # noqa: E402
from dreamlayer.engine.objectives import Scorer, compile_objective  # noqa: E402
from dreamlayer.objective import layer as layer_objective  # noqa: E402

from . import baseline, machine, step_kinds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = "efficientnet-lite0"


class Truncated(nn.Module):
    """The plain network's stem and blocks up to ``blocks.N``, scored as DeepDream scores a layer."""

    def __init__(self, net: nn.Module, last_block: int) -> None:
        super().__init__()
        self.net = net
        self.last_block = last_block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        x = F.relu6(net._bn0(net._conv_stem(x)))
        for block in net._blocks[:self.last_block + 1]:
            x = block(x)
        return x.pow(2).mean()


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()
    run()  # warm-up: primitive caches, thread pools, allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def onnx_session(module: nn.Module, example: torch.Tensor):
    import onnxruntime

    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer's notes on Python-side shape arithmetic: fixed for one size
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), buffer, dynamo=False, input_names=["image"])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    # its idle threads would spin and slow torch's, which are timed in the same process
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def _forward(net: DreamNet, objective: Scorer, tile: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return objective(net.activations(tile, objective.layers))


def _step(net: DreamNet, objective: Scorer, tile: torch.Tensor) -> torch.Tensor:
    part = tile.clone().requires_grad_(True)
    objective(net.activations(part, objective.layers)).backward()
    return part.grad


def measure(width: int, height: int, layer: str, repeats: int) -> dict:
    image = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    net = registry.load(MODEL, torch.device("cpu"))
    objective = compile_objective(layer_objective(layer), net)
    forward, step = partial(_forward, net, objective, image), partial(_step, net, objective, image)
    figures = {"engine_forward_ms": median_ms(forward, repeats), "engine_step_ms": median_ms(step, repeats),
               "objective_engine": float(forward()), "engine_step_shares": step_kinds.torch_shares(step, PROFILED)}

    plain = Truncated(baseline.load_plain(MODEL), int(layer.split(".")[1])).eval()
    with torch.no_grad():
        prepared = registry.get(MODEL).preprocess(image)  # the engine preprocesses inside its forward
    session = onnx_session(plain, prepared)
    feed = {"image": prepared.numpy()}
    figures.update(onnx_forward_ms=median_ms(lambda: session.run(None, feed), repeats),
                   objective_onnx=float(session.run(None, feed)[0]))
    figures.update(_onnx_backend(image, layer, repeats))
    figures["step_floor_ms"] = 2 * min(figures[name] for name in FORWARDS)
    figures["step_over_floor"] = figures["engine_step_ms"] / figures["step_floor_ms"]
    figures["onnx_graph_step_over_floor"] = figures["onnx_graph_step_ms"] / figures["step_floor_ms"]
    for side in ("engine", "onnx_graph"):  # the step's convolutions alone, against the whole step's floor
        convolutions = figures[f"{side}_step_ms"] * figures[f"{side}_step_shares"]["convolutions"]
        figures[f"{side}_convolutions_over_floor"] = convolutions / figures["step_floor_ms"]
    figures.update(_in_lanes(width, height, net, objective, repeats))
    return figures


FORWARDS = ("engine_forward_ms", "onnx_forward_ms", "onnx_graph_forward_ms")
PROFILED = 5  # steps profiled for the shares of ``step_kinds``


def _onnx_backend(image: torch.Tensor, layer: str, repeats: int) -> dict:
    """The onnx backend as a dream runs it, on the graph ``export-onnx`` writes and ``models import``
    installs (norms folded, clamps fused into the convolutions, SAME as ONNX's own padding): the
    forward its before/after figures run, and its step. That forward can be the fastest of all."""
    from dreamlayer.engine.backends import open_backend
    from dreamlayer.engine.cache import CACHE_ENV
    from dreamlayer.settings import DreamSettings

    from .backends import graph_cache

    tile = image.numpy()
    with graph_cache(layer) as env:
        before = os.environ.get(CACHE_ENV)
        os.environ[CACHE_ENV] = env[CACHE_ENV]
        try:
            backend = open_backend(DreamSettings(backend="onnx", layers=[layer]))
            return {"onnx_graph_forward_ms": median_ms(lambda: backend.value(tile), repeats),
                    "onnx_graph_step_ms": median_ms(lambda: backend.gradient(tile), repeats),
                    "objective_onnx_graph": backend.value(tile),
                    "onnx_graph_step_shares": step_kinds.onnx_shares(backend.path, {"image": tile, **backend.weights},
                                                                     PROFILED)}
        finally:
            if before is None:
                del os.environ[CACHE_ENV]
            else:
                os.environ[CACHE_ENV] = before


def _in_lanes(width: int, height: int, net: DreamNet, objective: Scorer, repeats: int) -> dict:
    """The same against the same floor where the dream computes tiles in lanes (``engine/lanes.py``):
    four tiles of the lanes' size (half the area) at once, forward and step, per tile."""
    from dreamlayer.engine.backends.torch_lanes import take_lane_share
    from dreamlayer.engine.lanes import cpu_lanes

    lanes = cpu_lanes()
    if lanes is None:
        return {}
    scale = math.sqrt(lanes.count)
    size = (round(height / scale), round(width / scale))
    tiles = [torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(i)) for i in range(2 * lanes.count)]
    def in_lane(run: Callable[[DreamNet, Scorer, torch.Tensor], torch.Tensor], tile: torch.Tensor) -> torch.Tensor:
        take_lane_share()
        return run(net, objective, tile)

    forward, step = partial(in_lane, _forward), partial(in_lane, _step)
    forward_ms = median_ms(lambda: list(lanes.map(forward, tiles)), repeats) / len(tiles)
    step_ms = median_ms(lambda: list(lanes.map(step, tiles)), repeats) / len(tiles)
    return {"lanes": lanes.count, "lanes_tile": [size[1], size[0]], "lanes_forward_ms_per_tile": forward_ms,
            "lanes_step_ms_per_tile": step_ms, "lanes_step_over_floor": step_ms / (2 * forward_ms)}


def readme_ratio(results: Path) -> Optional[dict]:
    """The README case's seconds from a benchmark results file, to turn the floor into a ratio."""
    report = json.loads(results.read_text())
    for case in report["cases"]:
        if case["name"] == "readme" and "summary" in case:
            summary = case["summary"]
            return {"file": results.name, "dreamlayer_s": summary["dreamlayer"]["seconds"]["median"],
                    "baseline_s": summary["baseline"]["seconds"]["median"]}
    return None


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--height", type=int, default=384)
    parser.add_argument("--layer", default=registry.default_layer(MODEL))
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--results", type=Path, help="a benchmark results file whose README case to scale "
                        "(default: the newest in bench/results)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "floor.json")
    args = parser.parse_args(argv)

    figures = measure(args.width, args.height, args.layer, args.repeats)
    report = {"machine": machine.describe(),
              "threads": torch.get_num_threads(), "tile": [args.width, args.height], "layer": args.layer, **figures}
    print(machine.line(report["machine"]))
    print(f"{args.width}x{args.height} tile, {MODEL} {args.layer}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats}:")
    print(f"  engine forward {figures['engine_forward_ms']:.1f} ms, ONNX Runtime forward "
          f"{figures['onnx_forward_ms']:.1f} ms (objective {figures['objective_engine']:.4f} vs "
          f"{figures['objective_onnx']:.4f}), the onnx backend's exported graph "
          f"{figures['onnx_graph_forward_ms']:.1f} ms ({figures['objective_onnx_graph']:.4f})")
    print(f"  engine step {figures['engine_step_ms']:.1f} ms; floor 2 x {figures['step_floor_ms'] / 2:.1f} = "
          f"{figures['step_floor_ms']:.1f} ms; the step is {figures['step_over_floor']:.2f}x the floor")
    print(f"  onnx backend step {figures['onnx_graph_step_ms']:.1f} ms, "
          f"{figures['onnx_graph_step_over_floor']:.2f}x the floor")
    for side, name in (("engine", "torch"), ("onnx_graph", "onnx backend")):
        shares = figures[f"{side}_step_shares"]
        print(f"  {name} step by kind: " + ", ".join(f"{kind} {shares[kind] * figures[f'{side}_step_ms']:.1f} ms"
                                                     for kind in step_kinds.KINDS if shares[kind])
              + f"; its convolutions alone are {figures[f'{side}_convolutions_over_floor']:.2f}x the floor")
    if "lanes" in figures:
        w, h = figures["lanes_tile"]
        print(f"  in {figures['lanes']} lanes, {w}x{h} tiles: forward {figures['lanes_forward_ms_per_tile']:.1f} ms, "
              f"step {figures['lanes_step_ms_per_tile']:.1f} ms a tile; the step is "
              f"{figures['lanes_step_over_floor']:.2f}x the floor of two such forwards")
    newest = args.results or max((p for p in (ROOT / "bench" / "results").glob("2*.json")), default=None)
    readme = readme_ratio(newest) if newest else None
    if readme:
        floor_s = readme["dreamlayer_s"] / figures["step_over_floor"]
        readme.update(floor_s=floor_s, best_speedup=readme["baseline_s"] / floor_s)
        report["readme"] = readme
        print(f"  README dream ({readme['file']}): {readme['dreamlayer_s']:.2f} s, at the floor about "
              f"{floor_s:.2f} s, at best {readme['best_speedup']:.1f}x the baseline's {readme['baseline_s']:.2f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
