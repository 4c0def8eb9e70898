"""Draw docs/images/digits.png: the digits net imagining 0-9, by optimisation and by projection.

    python tools/digits_figure.py [--out docs/images/digits.png]

Top row, "optimize": the visualize render loop (Adam on a Fourier parametrization under random
transforms) raising the class logit, starting from a sheet of light-grey paper. Bottom row,
"projection": `--method projection`, no optimisation, the class walked back through the weights.
Under each picture: the net's probability for the wanted digit and its rank among the ten.
Takes about a minute on a CPU; the pictures are the same on every run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dreamlayer.engine.models.digits import LABELS, PAINT_SIZE
from dreamlayer.engine.visualize.api import VisualizeResult, open_for, summarize
from dreamlayer.engine.visualize.param import image_param
from dreamlayer.engine.visualize.projection import projection
from dreamlayer.engine.visualize.render import render
from dreamlayer.engine.visualize.settings import VisualizeSettings
from dreamlayer.engine.visualize.transforms import jitter, pad, random_rotate, random_scale

OUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "digits.png"
# Start from paper, as a hand would; from mid grey the net is as keen to clear ink as to add it.
PAPER = 0.9  # not pure white: the picture's sigmoid is flat there
STEPS = 256
# Lucid's transform recipe sized for 32 px (1-2 px moves, +-10 % zoom, +-10 degrees). The wider
# ImageNet recipe of `dreamlayer visualize` moves an 8x8 digit by a whole pixel and smears it.
TRANSFORMS = [pad(2), jitter(1), random_scale([1 + (i - 5) / 50 for i in range(11)]),
              random_rotate(list(range(-10, 11)) + [0] * 5), jitter(1)]
CELL = 96  # px per picture in the figure (pictures are painted at 32 px and enlarged without smoothing)
MARGIN, CAPTION, LEFT = 8, 16, 92


def imagine(label: str) -> VisualizeResult:
    """The optimised picture of one digit, through the visualize render loop."""
    started = time.perf_counter()
    settings = VisualizeSettings(model="digits", class_name=label, steps=STEPS, decorrelate=False, device="cpu",
                                 backend="torch")
    backend = open_for(settings)
    paper = np.full((3, PAINT_SIZE, PAINT_SIZE), PAPER)
    param = image_param(PAINT_SIZE, PAINT_SIZE, kind="fourier", decorrelate=False, sd=0.0)
    param.load_image(paper)
    picture = render(backend, param, steps=STEPS, lr=settings.lr, transforms=TRANSFORMS,
                     rng=np.random.default_rng(settings.seed))
    return summarize(backend, settings, paper, picture, started)


def project(label: str) -> VisualizeResult:
    return projection(VisualizeSettings(model="digits", class_name=label, method="projection", device="cpu"))


def _cell(result: VisualizeResult) -> Image.Image:
    picture = Image.fromarray((np.clip(result.image, 0, 1) * 255).round().astype(np.uint8))
    return picture.resize((CELL, CELL), Image.NEAREST)


def draw(rows: list[tuple[str, list[VisualizeResult]]]) -> Image.Image:
    """One labelled row of pictures per method, one column per digit."""
    width = LEFT + len(LABELS) * (CELL + MARGIN)
    height = CAPTION + len(rows) * (CELL + 2 * CAPTION + MARGIN)
    sheet = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(sheet)
    for col, label in enumerate(LABELS):
        pen.text((LEFT + col * (CELL + MARGIN) + CELL // 2 - 3, 2), label, fill="black")
    for row, (title, results) in enumerate(rows):
        top = CAPTION + row * (CELL + 2 * CAPTION + MARGIN)
        pen.text((4, top + CELL // 2 - 6), title, fill="black")
        for col, result in enumerate(results):
            left = LEFT + col * (CELL + MARGIN)
            sheet.paste(_cell(result), (left, top))
            score = result.targets[0]
            pen.text((left, top + CELL + 2), f"p={score.probability:.2f} #{score.rank}", fill="black")
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the figure")
    args = parser.parse_args(argv)
    rows = [("optimize", [imagine(label) for label in LABELS]),
            ("projection", [project(label) for label in LABELS])]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    draw(rows).save(args.out)
    for title, results in rows:
        ranks = " ".join(f"{r.targets[0].label}:#{r.targets[0].rank}" for r in results)
        print(f"{title}: {ranks}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
