"""One measurement in a fresh process: ``python -m bench.measure JOB_JSON`` prints one JSON line.

A fresh process per run keeps peak RSS honest (``ru_maxrss`` is a high-water mark for the
process's whole life) and keeps one run's caches and thread state out of the next.
Jobs: ``{"kind": "dreamlayer" | "baseline", "case": {...}}`` or ``{"kind": "peak"}``.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, Optional

from . import tree
from .cases import EXAMPLE, Case

ROOT = Path(__file__).resolve().parent.parent


def _rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_picture(width: int, height: int):
    """The example photo at the case's size, as float32 HxWx3 in [0, 1]."""
    import numpy as np
    from PIL import Image

    picture = Image.open(ROOT / EXAMPLE).convert("RGB")
    if picture.size != (width, height):
        picture = picture.resize((width, height), Image.LANCZOS)
    return np.asarray(picture, dtype=np.float32) / 255


def _work(case: Case, settings, net, tiled: bool, region: Optional[tuple[int, int, int, int]] = None
          ) -> dict[str, Any]:
    """Useful FLOPs of the dream (over ``region``, x y w h, where only that was dreamed), and the
    whole-network forwards an untruncated loop adds."""
    from dreamlayer.engine.objectives import build_objective
    from dreamlayer.engine.octaves import schedule
    from dreamlayer.engine.tiling import auto_tile

    from .flops import full_forward_flops, schedule_flops

    layers = build_objective(settings, net).layers
    height, width = (case.height, case.width) if region is None else (region[3], region[2])
    sizes = schedule(height, width, settings, max(case.width, case.height))
    tile = auto_tile(settings.tile) if tiled else None
    return {"useful_flops": schedule_flops(settings.model, layers, sizes, settings.steps, tile),
            "full_forward_flops": full_forward_flops(settings.model, sizes, settings.steps),
            "total_steps": len(sizes) * settings.steps, "octave_sizes": sizes}


def run_dreamlayer(case: Case, ablation: Optional[str] = None) -> dict[str, Any]:
    from .ablations import ABLATIONS, spins

    if ablation and spins(ablation):
        import torch  # before the engine, which then leaves OpenMP's wait policy alone
    from dreamlayer.engine import dream  # first, as a user would: the engine tunes the process before torch loads

    policy = os.environ.get("OMP_WAIT_POLICY", "default")
    import torch

    if ablation:
        ABLATIONS[ablation]()

    from dreamlayer.engine.devices import resolve_device
    from dreamlayer.engine.models import registry
    from dreamlayer.settings import DreamSettings

    settings = DreamSettings(**case.settings)
    image = load_picture(case.width, case.height)
    device = resolve_device(settings.device)
    net = registry.load(settings.model, device)  # loaded before the clock starts, as in a warm engine
    rss_loaded = _rss()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    cpu, start = _cpu(), time.perf_counter()
    result = dream(image, settings, mask=case.mask())
    seconds = time.perf_counter() - start
    figures = {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "peak_rss_bytes": _rss(),
               "loaded_rss_bytes": rss_loaded, "peak_gpu_bytes": result.peak_gpu_bytes,
               "objective_before": result.objective_before, "objective_after": result.objective_after,
               "device": str(device), "backend": result.backend, "threads": torch.get_num_threads(),
               "omp_wait_policy": policy}
    figures.update(_work(case, settings, net, tiled=True, region=result.region))
    return figures


def run_baseline(case: Case) -> dict[str, Any]:
    policy = os.environ.get("OMP_WAIT_POLICY", "default")
    from . import baseline  # imports torch before dreamlayer.engine, as a plain script would

    import numpy as np
    import torch

    from dreamlayer.engine.backends.torch_backend import TorchBackend
    from dreamlayer.engine.deepdream import evaluate
    from dreamlayer.engine.objectives import build_objective
    from dreamlayer.engine.models import registry
    from dreamlayer.engine.models.labels import find_class
    from dreamlayer.engine.region import dream_box
    from dreamlayer.engine.tiling import auto_tile
    from dreamlayer.settings import DreamSettings

    settings = DreamSettings(**case.settings)
    image = load_picture(case.width, case.height)
    objective = (settings.objective or "").strip()
    layer = class_index = None
    if objective.startswith("class:"):
        class_index = find_class(objective[len("class:"):].strip('"'), registry.labels(settings.model))
    elif objective:
        raise ValueError(f"the baseline knows layers and class:NAME, not {objective!r}")
    else:
        layer = (settings.layers or [registry.default_layer(settings.model)])[0]
    net = baseline.load_plain(settings.model)
    rss_loaded = _rss()
    cpu, start = _cpu(), time.perf_counter()
    out = baseline.baseline_dream(image, settings, net, layer, class_index)
    mask = case.mask()
    if mask is not None:  # such loops know no selection: the painter masks the whole dream afterwards
        out = image + (out - image) * mask[..., None]
    seconds = time.perf_counter() - start
    figures = {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "peak_rss_bytes": _rss(),
               "loaded_rss_bytes": rss_loaded, "peak_gpu_bytes": 0, "device": "cpu",
               "threads": torch.get_num_threads(), "omp_wait_policy": policy}
    # the gain is measured exactly as dreamlayer measures its own, after the clock has stopped
    dnet = registry.load(settings.model, torch.device("cpu"))
    scorer = build_objective(settings, dnet)
    tile = auto_tile(settings.tile)

    backend = TorchBackend(dnet, scorer)

    def planar(pixels):
        return np.ascontiguousarray(np.asarray(pixels, dtype=np.float32).transpose(2, 0, 1)[None])

    box = dream_box(case.mask())  # scored where dreamlayer scores its own dream
    region = (slice(None), slice(None)) if box is None else box
    figures["objective_before"] = evaluate(backend, planar(image[region]), tile)
    figures["objective_after"] = evaluate(backend, planar(out[region]), tile)
    figures.update(_work(case, settings, dnet, tiled=False))
    return figures


def run_peak() -> dict[str, Any]:
    from dreamlayer.engine.devices import resolve_device

    from .peak import matmul_peak

    return matmul_peak(device=str(resolve_device("auto")))


def main(argv: list[str]) -> int:
    if os.environ.get(tree.ENV):
        tree.use_tree(Path(os.environ[tree.ENV]))
    job = json.loads(argv[0])
    kind = job["kind"]
    if kind in ("dreamlayer", "peak"):
        from dreamlayer.engine import runtime

        runtime.configure()  # what the command line and the engine process do
    if kind == "peak":
        figures = run_peak()
    elif kind in ("dreamlayer", "baseline"):
        case = Case.from_dict(job["case"])
        figures = run_dreamlayer(case, job.get("ablation")) if kind == "dreamlayer" else run_baseline(case)
    else:
        raise SystemExit(f"unknown job kind {kind!r}")
    figures["kind"] = kind
    figures["engine_folder"] = str(tree.engine_folder())
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
