"""The dreamlayer command: outputs, reports, pixel formats and bad input, as a user meets them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine.imageio import read_image

FAST = ["--octaves", "1", "--steps", "2"]


def run(*args: str) -> int:
    return main([str(a) for a in args])


def test_every_subcommand_has_help():
    for command in (["dream"], ["layers"], ["models"], ["models", "pull"], ["models", "import"],
                    ["install"], ["uninstall"]):
        done = subprocess.run([sys.executable, "-m", "dreamlayer", *command, "--help"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage: dreamlayer" in done.stdout, command


def test_dream_help_documents_the_objective_language():
    done = subprocess.run([sys.executable, "-m", "dreamlayer", "dream", "--help"], capture_output=True, text=True)
    assert "class:goldfish" in done.stdout and "--mask" in done.stdout and "--tile" in done.stdout


def test_dream_writes_output_and_report(photo_png, tmp_path, capsys):
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    assert run("dream", photo_png, "-o", out, "--report", report, *FAST) == 0
    assert Image.open(out).size == (96, 72)
    data = json.loads(report.read_text())
    for key in ("objective_before", "objective_after", "seconds", "steps", "width", "height", "model", "layers",
                "peak_rss_bytes"):
        assert key in data
    assert data["objective_after"] > data["objective_before"] and data["steps"] == 2
    assert "blocks.9" in capsys.readouterr().out


def test_mask_file_keeps_black_pixels_byte_identical(photo_png, tmp_path):
    mask = np.zeros((72, 96), np.uint8)
    mask[20:50, 30:70] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert run("dream", photo_png, "-o", out, "--mask", tmp_path / "mask.png", "--step-size", "0.03", *FAST) == 0
    before, after = np.asarray(Image.open(photo_png)), np.asarray(Image.open(out))
    outside = mask == 0
    assert np.array_equal(before[outside], after[outside])
    assert np.abs(before[~outside].astype(int) - after[~outside]).mean() > 2


def test_rgba_alpha_passes_through_untouched(tmp_path):
    rgba = np.dstack([small_photo(), np.tile(np.arange(96, dtype=np.uint8) * 2, (72, 1))])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "in.png")
    assert run("dream", tmp_path / "in.png", "-o", tmp_path / "out.png", *FAST) == 0
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert out.shape == (72, 96, 4) and np.array_equal(out[..., 3], rgba[..., 3])


def test_sixteen_bit_stays_sixteen_bit(tmp_path):
    grey16 = (small_photo()[..., 1].astype(np.uint16) * 257)
    Image.fromarray(grey16).save(tmp_path / "in16.png")
    assert run("dream", tmp_path / "in16.png", "-o", tmp_path / "out16.png", *FAST) == 0
    assert read_image(tmp_path / "out16.png").bits == 16


@pytest.mark.parametrize("args, message", [
    (["missing.png"], "missing.png"),
    (["notes.png"], "notes.png"),
    (["photo.png", "--layer", "blocks.99"], "no layer 'blocks.99'; choose one of"),
    (["photo.png", "--objective", "blocks.9:500"], "channel 500 out of range for blocks.9"),
    (["photo.png", "--objective", "blocks.9 ++"], "bad objective"),
    (["photo.png", "--objective", "class:goldfsh"], "nearest: goldfish"),
    (["photo.png", "--model", "alexnet"], "unknown model 'alexnet'; choose one of: efficientnet-lite0"),
    (["photo.png", "--mask", "small_mask.png"], "but the image is 96x72"),
    (["photo.png", "--steps", "-1"], "steps must be 0 or more"),
])
def test_bad_input_is_one_clear_line(photo_png, tmp_path, capsys, args, message):
    (tmp_path / "notes.png").write_text("not a picture")
    Image.new("L", (10, 10)).save(tmp_path / "small_mask.png")
    args = [str(tmp_path / a) if a.endswith(".png") else a for a in args]
    out = tmp_path / "out.png"
    assert run("dream", "-o", out, *FAST, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_bad_output_path_fails_before_dreaming(photo_png, tmp_path, capsys):
    assert run("dream", photo_png, "-o", tmp_path / "out.xyz", "--report", tmp_path / "r.json", *FAST) == 2
    assert "unknown extension" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
