"""Do class visualizations transfer? Paint 20 ImageNet classes with one network, then ask others.

For each class: the maker's own top-1 on the finished 8-bit picture, and the rank of the class
under two networks that did not make it: MobileNet v1 (ONNX, ../shared/models) and
EfficientNet-Lite2. Writes a Markdown table and a labelled contact sheet.

    /work/venv/bin/python bench/class_quality.py            # defaults of `dreamlayer visualize`
    /work/venv/bin/python bench/class_quality.py --classes goldfish,zebra --steps 64 --out /tmp/q
"""
from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from dreamlayer.engine.models import registry
from dreamlayer.engine.models.labels import find_class, imagenet_labels
from dreamlayer.engine.visualize import VisualizeSettings, visualize
from dreamlayer.engine.visualize.sheet import contact_sheet

ROOT = Path(__file__).resolve().parent.parent
MOBILENET = ROOT.parent / "shared" / "models" / "mobilenet_v1_0.75.onnx"
CLASSES = ("goldfish", "flamingo", "peacock", "bald eagle", "tarantula", "ladybug", "monarch", "jellyfish",
           "starfish", "zebra", "tabby", "king penguin", "lemon", "strawberry", "pineapple", "broccoli",
           "volcano", "daisy", "school bus", "beacon")  # beacon: ImageNet's lighthouse


class MobileNet:
    """MobileNet v1 0.75 through onnxruntime: input RGB scaled to [-1, 1], output 1000 logits."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def logits(self, rgb8: np.ndarray) -> np.ndarray:
        x = (rgb8.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        return self.session.run(None, {"input": x})[0][0]


def torch_logits(model: str, rgb8: np.ndarray) -> np.ndarray:
    net = registry.load(model, torch.device("cpu"))
    x = torch.from_numpy(rgb8.astype(np.float32) / 255).permute(2, 0, 1)[None]
    with torch.no_grad():
        return net.activations(x, {"logits"})["logits"][0].numpy()


def rank(logits: np.ndarray, index: int) -> int:
    return int((logits > logits[index]).sum()) + 1


def run(settings: VisualizeSettings, classes: list[str], judges: list[str], out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    labels = imagenet_labels()
    mobilenet = MobileNet(MOBILENET) if "mobilenet" in judges else None
    indices = [find_class(name, labels) for name in classes]  # a typo fails now, not after an hour
    rows = []
    for name, index in zip(classes, indices):
        cpu = time.process_time()
        result = visualize(replace(settings, class_name=name))
        cpu = time.process_time() - cpu
        rgb8 = np.rint(result.image * 255).astype(np.uint8)
        row = {"class": labels[index], "index": index, "seconds": result.seconds, "cpu": cpu, "image": rgb8,
               "own": rank(torch_logits(settings.model, rgb8), index)}
        for judge in judges:
            logits = mobilenet.logits(rgb8) if judge == "mobilenet" else torch_logits(judge, rgb8)
            row[judge] = rank(logits, index)
        rows.append(row)
        print(f"{labels[index]:<20} own rank {row['own']:>3}  "
              + "  ".join(f"{j} rank {row[j]:>4}" for j in judges)
              + f"  {result.seconds:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    return rows


def write_table(rows: list[dict], judges: list[str], settings: VisualizeSettings, path: Path) -> None:
    def mark(ok: bool) -> str:
        return "yes" if ok else "no"

    head = "| class | own top-1 | " + " | ".join(f"{j} top-5 (rank)" for j in judges) + " | CPU s | wall s |"
    lines = [head, "|" + "---|" * (4 + len(judges))]
    for r in rows:
        lines.append(f"| {r['class']} ({r['index']}) | {mark(r['own'] == 1)} | "
                     + " | ".join(f"{mark(r[j] <= 5)} ({r[j]})" for j in judges)
                     + f" | {r['cpu']:.0f} | {r['seconds']:.0f} |")
    n = len(rows)
    lines.append(f"| **total** | **{sum(r['own'] == 1 for r in rows)}/{n}** | "
                 + " | ".join(f"**{sum(r[j] <= 5 for r in rows)}/{n}**" for j in judges)
                 + f" | {np.median([r['cpu'] for r in rows]):.0f} (median) "
                 + f"| {np.median([r['seconds'] for r in rows]):.0f} |")
    config = (f"model {settings.model}, {settings.steps} steps, {settings.size or 'model input'} px, "
              f"from {settings.start}, {settings.param} parametrization"
              f"{', decorrelated colour' if settings.decorrelate else ''}, "
              f"transforms {'+'.join(settings.transforms) or 'none'}, {settings.views} view(s) per step, "
              f"lr {settings.lr}, seed {settings.seed}, {settings.backend} backend")
    path.write_text("# Class visualizations: do other networks see them too?\n\n"
                    f"Made by `bench/class_quality.py` ({config}; torch {torch.__version__} on one CPU thread"
                    f"{', ONNX Runtime on its default threads' if settings.backend == 'onnx' else ''}, on "
                    f"{platform.machine()}). The maker's own top-1 and the rank of the class under networks that "
                    "did not make the picture, all on the saved 8-bit picture. CPU s is the process's CPU time for "
                    "one picture (wall time runs longer when the machine is shared).\n\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", help="comma-separated class names (default: the 20 of the study)")
    parser.add_argument("--model", default=VisualizeSettings.model)
    parser.add_argument("--steps", type=int, default=VisualizeSettings.steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--views", type=int, default=VisualizeSettings.views)
    parser.add_argument("--backend", default=VisualizeSettings.backend, choices=("auto", "torch", "onnx"),
                        help="what paints: torch, or ONNX Runtime on an installed graph (the judges use torch)")
    parser.add_argument("--tag", default="", help="suffix for the output file names, to keep several runs")
    parser.add_argument("--judges", default="mobilenet,efficientnet-lite2",
                        help="networks that rate the pictures: mobilenet and/or registry model names")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    classes = args.classes.split(",") if args.classes else list(CLASSES)
    judges = args.judges.split(",")
    settings = VisualizeSettings(model=args.model, steps=args.steps, seed=args.seed, views=args.views,
                                 backend=args.backend)
    started = time.perf_counter()
    rows = run(settings, classes, judges, args.out)
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    write_table(rows, judges, settings, args.out / "results" / f"class_quality{args.tag}.md")
    short = {"mobilenet": "mnet"}
    captions = [f"{r['class']}\nown {r['own']} · " + " · ".join(f"{short.get(j, j.split('-')[-1])} {r[j]}"
                                                            for j in judges) for r in rows]
    sheet = contact_sheet([r["image"] for r in rows], captions, cell=180, columns=5, lines=2,
                          title=f"{settings.model}, {settings.steps} steps, {settings.views} view(s). Class rank by "
                                "maker (own), MobileNet v1 (mnet), EfficientNet-Lite2 (lite2)")
    sheet.save(args.out / "images" / f"class_sheet{args.tag}.jpg", quality=80)
    print(f"{len(rows)} classes in {time.perf_counter() - started:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
