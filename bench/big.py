"""A 12-megapixel photo dreamed through the engine process, as Apply in an editor sends it.

The example photo enlarged to 4000x3000 goes to ``python -m dreamlayer.engine.worker`` over the
real protocol as the dialog's Apply sends it (the whole picture, the result as a layer, so the
engine also keeps the unmasked dream); the engine's own
peak RSS (from ``wait4``, the whole process's life) must stay within 2 GiB. One step per octave
keeps the run to minutes; memory does not grow with steps.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

from dreamlayer import protocol
from dreamlayer.settings import DreamSettings

from .latency import Engine, example_image

WIDTH, HEIGHT = 4000, 3000
LIMIT_MIB = 2048


def measure(backend: str, python: str = sys.executable, env: Optional[dict[str, str]] = None,
            steps: int = 1) -> dict[str, Any]:
    """Seconds from request to result and the engine's peak RSS, dreaming 12 MP on ``backend``."""
    image = example_image(WIDTH, HEIGHT)
    engine = Engine(python, ["--backend", backend], env=env)
    started = time.perf_counter()
    options = protocol.DreamOptions(DreamSettings(steps=steps), preview_size=protocol.PREVIEW_SIZE,
                                    result=protocol.LAYER)
    blobs: list[bytes] = []
    engine.send("dream", blobs, id=1, image=protocol.image_field(image, blobs), **options.fields())
    result = engine.until("result", dream_id=1)
    seconds = time.perf_counter() - started
    engine.send("shutdown", id=0)
    _, _, usage = os.wait4(engine.process.pid, 0)
    return {"backend": backend, "size": [WIDTH, HEIGHT], "steps_per_octave": steps, "seconds": seconds,
            "engine_peak_rss_mib": usage.ru_maxrss / 1024, "limit_mib": LIMIT_MIB,
            "gain": [result.get("objective_before"), result.get("objective_after")]}


def main() -> int:
    from .backends import graph_cache

    with graph_cache() as env:
        for backend in ("torch", "onnx"):
            figures = measure(backend, env=env)
            print(f"{backend}: 12 MP in {figures['seconds']:.0f} s, engine peak "
                  f"{figures['engine_peak_rss_mib']:.0f} MiB (limit {LIMIT_MIB})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
