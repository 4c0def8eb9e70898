"""Does the preview predict Apply? ``python -m bench.preview_vs_apply [--sizes 320 1024 4000]``.

For each source size the example photo is dreamed twice, as the dialog does it: a preview of the
picture reduced to the preview size, and Apply on the full picture, then shrunk to the preview's
size to be looked at side by side. Both with the old schedule (a fixed 4 octaves, patterns a
fixed size in pixels) and the pattern-size schedule. Figures, per size and schedule:

- ``ssim``: structural similarity of what the dream added (dream minus source, grey) in the
  preview and in the shrunk Apply; 1 is the same picture, 0 unrelated.
- ``coarse_ssim``: the same on both shrunk 4x, the scale of the dream's larger shapes.
- ``pattern_px``: the typical size of the dream's patterns (power-weighted mean wavelength of
  what it added, in preview pixels), preview and shrunk Apply; ``pattern_ratio`` Apply/preview.
- ``strength_ratio``: RMS of what the shrunk Apply added over the preview's; below 1 Apply
  looks fainter than its preview promised.
- ``look_vs_1024``: the same figures for the 1024 px Apply against this size's Apply, both
  shrunk to this size's preview: does a picture's size change its look.

Writes ``bench/results/preview_vs_apply.json`` and a side-by-side picture.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from dreamlayer.protocol import PREVIEW_SIZE
from dreamlayer.settings import DreamSettings

from .measure import ROOT, load_picture

SCHEDULES = {"fixed 4 octaves (before)": DreamSettings(octaves=4), "pattern size 1 (after)": DreamSettings()}


def shrink(picture: np.ndarray, longest: int) -> np.ndarray:
    """``picture`` with its longer side at most ``longest``, area-averaged as a painter's zoom-out would."""
    height, width = picture.shape[:2]
    factor = min(1.0, longest / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if size == (width, height):
        return picture
    image = Image.fromarray((picture * 255).round().astype(np.uint8)).resize(size, Image.LANCZOS)
    return np.asarray(image, dtype=np.float32) / 255


def _grey(picture: np.ndarray) -> np.ndarray:
    return picture @ np.array([0.299, 0.587, 0.114], np.float32)


def ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian window) of two greyscale arrays, on their joint range."""
    span = float(max(a.max(), b.max()) - min(a.min(), b.min())) or 1.0
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    mu_a, mu_b = gaussian_filter(a, sigma), gaussian_filter(b, sigma)
    var_a = gaussian_filter(a * a, sigma) - mu_a ** 2
    var_b = gaussian_filter(b * b, sigma) - mu_b ** 2
    cov = gaussian_filter(a * b, sigma) - mu_a * mu_b
    similarity = (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(np.mean(similarity))


def pattern_px(a: np.ndarray) -> float:
    """Power-weighted mean wavelength in pixels (the constant term left out)."""
    power = np.abs(np.fft.rfft2(a - a.mean())) ** 2
    fy = np.fft.fftfreq(a.shape[0])[:, None]
    fx = np.fft.rfftfreq(a.shape[1])[None, :]
    frequency = np.hypot(fy, fx)
    power[0, 0] = 0.0
    frequency[0, 0] = 1.0
    return float(np.sum(power / frequency) / np.sum(power))


def coarse(a: np.ndarray, factor: int = 4) -> np.ndarray:
    h, w = a.shape[0] // factor * factor, a.shape[1] // factor * factor
    return a[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def compare(preview: np.ndarray, applied: np.ndarray) -> dict:
    """Figures for two pictures of what a dream added, at the same size."""
    sizes = pattern_px(preview), pattern_px(applied)
    return {"ssim": round(ssim(preview, applied), 3), "coarse_ssim": round(ssim(coarse(preview), coarse(applied)), 3),
            "pattern_px": [round(sizes[0], 1), round(sizes[1], 1)], "pattern_ratio": round(sizes[1] / sizes[0], 2),
            "strength_ratio": round(float(np.sqrt(np.mean(applied ** 2) / np.mean(preview ** 2))), 2)}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(sizes: list[int], out: Path, picture_out: Path) -> dict:
    from dreamlayer.engine import dream

    results: dict = {"preview_size": PREVIEW_SIZE, "cases": []}
    shown: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    for name, settings in SCHEDULES.items():
        reference = None
        for longest in sorted(sizes, key=lambda s: s != 1024):  # 1024 first: the others compare to it
            source = load_picture(longest, longest * 3 // 4)
            small = shrink(source, PREVIEW_SIZE)
            preview = dream(small, settings, preview_of=longest).image
            wall, cpu = time.perf_counter(), _cpu()
            applied = dream(source, settings)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            seen = shrink(applied.image, PREVIEW_SIZE)
            added_preview, added_apply = _grey(preview - small), _grey(seen - small)
            case = {"schedule": name, "source": f"{source.shape[1]}x{source.shape[0]}",
                    "preview": f"{small.shape[1]}x{small.shape[0]}", "apply_steps": applied.steps,
                    "apply_seconds": round(wall, 1), "apply_cpu_seconds": round(cpu, 1),
                    **compare(added_preview, added_apply)}
            if longest == 1024:
                reference = applied.image
            else:
                ref_seen = shrink(reference, max(small.shape[:2]))
                case["look_vs_1024"] = compare(_grey(ref_seen - small), added_apply)
            results["cases"].append(case)
            print(json.dumps(case), flush=True)
            shown[(longest, name)] = (preview, seen)
    _sheet(shown, sizes, picture_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def _sheet(shown: dict, sizes: list[int], path: Path) -> None:
    """Rows: source sizes; columns: preview and shrunk Apply, per schedule."""
    cell = 256
    names = list(SCHEDULES)
    sheet = Image.new("RGB", (cell * 2 * len(names), cell * 3 // 4 * len(sizes)), "white")
    for row, longest in enumerate(sorted(sizes)):
        for col, name in enumerate(names):
            for k, picture in enumerate(shown[(longest, name)]):
                tile = Image.fromarray((picture * 255).round().astype(np.uint8)).resize((cell, cell * 3 // 4),
                                                                                       Image.LANCZOS)
                sheet.paste(tile, ((2 * col + k) * cell, row * cell * 3 // 4))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[320, 1024, 4000],
                        help="longer sides of the sources (1024 is always added: the others compare to it)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "preview_vs_apply.json")
    parser.add_argument("--picture", type=Path, default=ROOT / "docs" / "images" / "preview_vs_apply.jpg")
    args = parser.parse_args()
    run(sorted(set(args.sizes) | {1024}), args.out, args.picture)


if __name__ == "__main__":
    main()
