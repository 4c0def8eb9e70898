"""The dreamlayer command: outputs, reports, pixel formats and bad input, as a user meets them."""
from __future__ import annotations

import json
import re
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


_TORN_DOWN = """
import sys
from dreamlayer import cli
class Torn:
    def __del__(self):
        print("torn down", file=sys.stderr)
cli.torn = Torn()  # freed in the interpreter's teardown, if there is one
sys.exit(cli.{entry}())
"""


@pytest.mark.parametrize("entry", ["run", "main"])
def test_the_command_skips_the_teardown_but_keeps_its_output_and_exit_code(entry, capsys):
    """``run`` (the console script) ends the process once ``main`` returns; nothing it printed is lost."""
    assert main(["layers", "efficientnet-lite0"]) == 0
    expected = capsys.readouterr().out
    listed = subprocess.run([sys.executable, "-c", _TORN_DOWN.format(entry=entry), "layers", "efficientnet-lite0"],
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == expected and expected.count("\n") > 10
    assert ("torn down" in listed.stderr) == (entry == "main")
    failed = subprocess.run([sys.executable, "-c", _TORN_DOWN.format(entry=entry), "layers", "no-such-model"],
                            capture_output=True, text=True)
    assert failed.returncode == 2 and "no-such-model" in failed.stderr


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
    (["photo.png", "--steps", "-1"], "steps must be at least 0, not -1"),
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


# --- nothing is overwritten unasked, and every file is written whole or not at all ---------------

def test_the_report_never_replaces_the_input_or_the_output(photo_png, tmp_path, capsys):
    original = photo_png.read_bytes()
    out = tmp_path / "out.png"
    for force in ([], ["--force"]):
        assert run("dream", photo_png, "-o", out, "--report", photo_png, *FAST, *force) == 2
        err = capsys.readouterr().err.strip()
        assert "report" in err and str(photo_png) in err and len(err.splitlines()) == 1
        assert photo_png.read_bytes() == original and not out.exists()
    assert run("dream", photo_png, "-o", out, "--report", out, "--force", *FAST) == 2
    assert not out.exists()


def test_writing_over_the_input_needs_force(photo_png, capsys):
    original = photo_png.read_bytes()
    assert run("dream", photo_png, "-o", photo_png, *FAST) == 2
    err = capsys.readouterr().err.strip()
    assert "--force" in err and len(err.splitlines()) == 1 and photo_png.read_bytes() == original
    assert run("dream", photo_png, "-o", photo_png, "--force", *FAST) == 0
    assert photo_png.read_bytes() != original


def test_an_existing_output_or_report_needs_force_and_is_then_replaced_whole(photo_png, tmp_path, capsys):
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    out.write_bytes(b"keep me")
    assert run("dream", photo_png, "-o", out, "--report", report, *FAST) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"keep me" and not report.exists()
    out.unlink()
    report.write_text("{}")
    assert run("dream", photo_png, "-o", out, "--report", report, *FAST) == 2
    assert not out.exists() and report.read_text() == "{}"
    inode = report.stat().st_ino
    assert run("dream", photo_png, "-o", out, "--report", report, "--force", *FAST) == 0
    # replaced by a rename of a complete file, not rewritten in place, and no temporary file left over
    assert report.stat().st_ino != inode and json.loads(report.read_text())["steps"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "photo.png", "report.json"]


def test_visualize_and_atlas_refuse_an_existing_output_without_force(cache, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    out.write_bytes(b"keep me")
    assert run("visualize", "--class", "goldfish", "--size", "16", "--steps", "1", "-o", out) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert run("atlas", "efficientnet-lite0", "stem", "--channels", "0", "--size", "16", "--steps", "1",
               "-o", out) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert run("atlas", "efficientnet-lite0", "stem", "--channels", "0", "--size", "16", "--steps", "1",
               "-o", out, "--force") == 0
    assert Image.open(out).format == "PNG"


@pytest.fixture
def unwritable(tmp_path):
    """A folder no file can be created in: read-only by mode, or /sys where the mode does not stop root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except OSError:
        yield folder
    else:
        (folder / "probe").unlink()
        try:
            Path("/sys/dreamlayer-probe").touch()
        except OSError:
            yield Path("/sys")
        else:
            pytest.skip("no read-only folder to test with")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("which", ["output", "report"])
def test_an_unwritable_folder_fails_before_the_dream_naming_the_users_path(photo_png, tmp_path, unwritable,
                                                                           capsys, which):
    out, report = tmp_path / "out.png", tmp_path / "r.json"
    if which == "output":
        out = unwritable / "out.png"
    else:
        report = unwritable / "r.json"
    assert run("dream", photo_png, "-o", out, "--report", report, *FAST) == 2
    err = capsys.readouterr().err.strip()
    named = out if which == "output" else report
    assert f"cannot write {named}:" in err and ".part" not in err
    assert len(err.splitlines()) == 1 and "dreaming" not in err  # no progress bar: it stopped before
    assert not out.exists() and not report.exists()


# --- numbers out of range, not finite, or devices this machine lacks: one line, nothing written -------

@pytest.mark.parametrize("args, message", [
    (["--octaves", "3000"], "octaves must be at most"),
    (["--octave-scale", "1e200"], "octave scale must be at most"),
    (["--octave-scale", "nan"], "octave scale must be a finite number"),
    (["--step-size", "1e308"], "step size must be at most"),
    (["--step-size", "nan"], "step size must be a finite number"),
    (["--step-size", "inf"], "step size must be a finite number"),
    (["--jitter", "1" + "0" * 30], "jitter must be at most"),
    (["--seed", "1" + "0" * 30], "seed must be at most"),
    (["--objective", "1e999*blocks.9"], "a weight must be a finite number"),
    (["--objective", "blocks.9*1e999"], "a weight must be a finite number"),
    (["--device", "meta"], "device 'meta' cannot dream"),
    (["--device", "mps"], "device 'mps' asked for"),
    (["--device", "xpu"], "device 'xpu' asked for"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_numbers_and_devices_are_one_line_and_write_nothing(photo_png, tmp_path, capsys, args, message):
    if args[0] == "--device":
        import torch

        if args[1] == "mps" and torch.backends.mps.is_available() or args[1] == "xpu" and (
                hasattr(torch, "xpu") and torch.xpu.is_available()):
            pytest.skip(f"this machine has {args[1]}")
    out = tmp_path / "out.png"
    assert run("dream", photo_png, "-o", out, *FAST, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--lr", "nan"], "learning rate (--lr) must be a finite number"),
    (["--lr", "1e300"], "learning rate (--lr) must be at most"),
    (["--tv", "inf"], "tv weight must be a finite number"),
    (["--seed", "1" + "0" * 30], "seed must be at most"),
])
def test_visualize_rejects_numbers_that_are_not_finite_or_too_big(tmp_path, capsys, args, message):
    out = tmp_path / "v.png"
    assert run("visualize", "--class", "goldfish", "--size", "16", "--steps", "1", "-o", out, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


# --- messages that say what happened -------------------------------------------------------------

def test_an_all_black_mask_is_refused_before_the_model_loads(photo_png, tmp_path, cache, capsys):
    Image.new("L", (96, 72), 0).save(tmp_path / "black.png")
    out = tmp_path / "out.png"
    # vgg16 is not installed in the empty cache: loading it would fail with another message
    assert run("dream", photo_png, "-o", out, "--mask", tmp_path / "black.png", "--model", "vgg16", *FAST) == 2
    err = capsys.readouterr().err.strip()
    assert "black everywhere" in err and len(err.splitlines()) == 1 and not out.exists()


def test_a_masked_dream_written_as_jpeg_warns_that_pixels_will_not_stay_identical(photo_png, tmp_path, capsys):
    mask = np.zeros((72, 96), np.uint8)
    mask[20:50, 30:70] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert run("dream", photo_png, "-o", tmp_path / "out.jpg", "--mask", tmp_path / "mask.png", *FAST) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "byte-identical" in err and "out.png" in err


def test_a_loss_is_printed_with_its_own_sign(photo_png, tmp_path, capsys):
    # full-range steps overshoot: the objective falls by about half, far beyond any machine's noise
    assert run("dream", photo_png, "-o", tmp_path / "out.png", "--step-size", "1", "--jitter", "0", *FAST) == 0
    before, after, change = re.search(r"(\d+\.\d+) -> (\d+\.\d+) \((\S+)\) in", capsys.readouterr().out).groups()
    assert float(after) < float(before) and float(change) == pytest.approx(float(after) - float(before), abs=0.002)
    assert change.startswith("-") and not change.startswith("+-")
