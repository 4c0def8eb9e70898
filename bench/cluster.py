"""``python -m bench.cluster``: `dreamlayer batch` on one worker and on two, and a batch stopped with
Ctrl-C half-way and resumed; wall time and CPU seconds (driver and workers), as JSON on stdout.

The photos are 20 crops of examples/cat.jpg (different places, sizes, flips and colour), written
into the folder given. On a machine shared with other work the wall times are under load: the
CPU seconds say what the work itself cost.
"""
from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "examples" / "cat.jpg"


def photos(folder: Path, count: int = 20) -> list[Path]:
    """``count`` different pictures of 480x360 or 360x480 cut from the example photo."""
    folder.mkdir(parents=True, exist_ok=True)
    whole = Image.open(PHOTO).convert("RGB")
    made = []
    for i in range(count):
        width = 300 + 35 * (i % 8)
        left, top = (37 * i) % (whole.width - width), (23 * i) % (whole.height - width * 3 // 4)
        crop = whole.crop((left, top, left + width, top + width * 3 // 4)).resize((480, 360), Image.LANCZOS)
        if i % 3 == 1:
            crop = ImageOps.mirror(crop)
        if i % 4 == 2:
            crop = crop.rotate(90, expand=True)
        crop = ImageEnhance.Color(crop).enhance(0.6 + 0.08 * (i % 10))
        path = folder / f"held-out-{i:02d}.jpg"
        crop.save(path, quality=92)
        made.append(path)
    return made


def _run(command: list[str], stop_after: int | None = None, outdir: Path | None = None) -> dict:
    """Run the command line; with ``stop_after``, send Ctrl-C once that many outputs exist."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Ctrl-C's default action in the child even when this runs in the background (where a shell ignores it)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    if stop_after is not None and outdir is not None:
        while process.poll() is None and len(list(outdir.glob("held-out-*"))) < stop_after:
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
    out, err = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"returncode": process.returncode, "wall_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(cpu, 1), "last_lines": (err.strip().splitlines() + out.strip().splitlines())[-3:]}


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n")[0])
    p.add_argument("folder", type=Path, help="where the photos and the outputs go")
    args = p.parse_args()
    inputs = photos(args.folder / "photos")
    cli = [sys.executable, "-m", "dreamlayer", "batch", str(args.folder / "photos"), "--device", "cpu"]
    results = {}
    for workers in (1, 2):
        outdir = args.folder / f"out-{workers}"
        results[f"{workers} worker(s)"] = _run([*cli, "-o", str(outdir), "--workers", str(workers)])
    outdir = args.folder / "out-resumed"
    results["interrupted"] = _run([*cli, "-o", str(outdir), "--workers", "2"], stop_after=8, outdir=outdir)
    results["interrupted"]["outputs"] = len(list(outdir.glob("held-out-*")))
    results["resumed"] = _run([*cli, "-o", str(outdir), "--workers", "2"])
    results["resumed"]["outputs"] = len(list(outdir.glob("held-out-*")))
    results["photos"] = len(inputs)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
