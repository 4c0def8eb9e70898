"""`dreamlayer zoom` end to end with the real default network: outputs, recipes, colour hold,
objective schedule, Ctrl-C and --resume. Frames are tiny and dreams a step or two, so it stays quick."""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLE, small_photo
from dreamlayer.engine.video.io import open_clip, read_frame
from dreamlayer.engine.video.render import CHECKPOINT
from dreamlayer.engine.zoom.colour import colour_stats
from PIL import Image

from dreamlayer.cli import main

pytest.importorskip("cv2")
pytest.importorskip("imageio_ffmpeg")

TINY = ["--size", "64x48", "--steps-per-frame", "1", "--jitter", "4"]


def run(*args: object) -> int:
    return main([str(a) for a in args])


def frames_of(folder: Path) -> list[np.ndarray]:
    return [read_frame(p) for p in sorted(folder.glob("*.png"))]


def test_png_frames_are_zero_padded_and_carry_the_recipe(tmp_path):
    out = tmp_path / "frames"
    assert run("zoom", EXAMPLE, "-o", out, "--frames", 3, *TINY, "--center", "0.3,0.6") == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["000000.png", "000001.png", "000002.png"]
    with Image.open(out / "000002.png") as frame:
        text = json.loads(frame.text["dreamlayer"])
    assert text["frame"] == 2 and text["center"] == "0.3,0.6" and text["command"] == "zoom"
    sidecar = json.loads((tmp_path / "frames.json").read_text())
    assert sidecar["complete"] and sidecar["frames_written"] == 3 and sidecar["size"] == [64, 48]
    again = tmp_path / "again"
    assert main(shlex.split(sidecar["command_line"])[1:] + ["-o", str(again)]) == 0  # the recipe remakes it
    assert [f.tobytes() for f in frames_of(again)] == [f.tobytes() for f in frames_of(out)]
    assert not (out / CHECKPOINT).exists()


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".webm"])
def test_animations_and_webm_play_back_with_every_frame(tmp_path, suffix):
    out = tmp_path / f"zoom{suffix}"
    assert run("zoom", "--from", "noise", "-o", out, "--frames", 3, *TINY, "--fps", 10) == 0
    if suffix == ".webm":
        assert open_clip(out).frames == 3
    else:
        with Image.open(out) as animation:
            assert animation.n_frames == 3 and animation.size == (64, 48)
    assert not (tmp_path / f"zoom{suffix}.frames").exists()  # the work folder is gone once done


def test_mp4_comment_holds_the_recipe(tmp_path):
    import imageio_ffmpeg

    out = tmp_path / "zoom.mp4"
    assert run("zoom", "--from", "grey", "-o", out, "--frames", 2, *TINY, "--objective", "blocks.5") == 0
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", out, "-f", "ffmetadata", "-"],
                           capture_output=True, text=True, timeout=60, check=True)
    comment = next(line for line in probe.stdout.splitlines() if line.startswith("comment="))
    assert json.loads(comment.removeprefix("comment=").replace("\\", ""))["objective"] == "blocks.5"
    assert json.loads((tmp_path / "zoom.mp4.json").read_text())["objective"] == "blocks.5"


def drift(frames: list[np.ndarray]) -> float:
    """How far the last frame's colour statistics moved from the first's (0-255 levels)."""
    return float(np.abs(colour_stats(frames[-1]) - colour_stats(frames[0])).sum())


def test_colour_hold_keeps_the_colour_nearer_the_first_frame(tmp_path):
    common = ["--frames", 24, "--size", "64x48", "--steps-per-frame", 2, "--step-size", 0.02, "--zoom", 1.04]
    assert run("zoom", EXAMPLE, "-o", tmp_path / "free", "--colour-hold", 0, *common) == 0
    assert run("zoom", EXAMPLE, "-o", tmp_path / "held", "--colour-hold", 0.5, *common) == 0
    free, held = drift(frames_of(tmp_path / "free")), drift(frames_of(tmp_path / "held"))
    assert free > 10, "without the hold the colours should wander in 24 strong frames"
    assert held < free / 2


def test_objective_schedule_changes_what_later_frames_dream(tmp_path):
    common = ["--frames", 3, *TINY, "--objective", "blocks.5"]
    assert run("zoom", EXAMPLE, "-o", tmp_path / "same", *common) == 0
    assert run("zoom", EXAMPLE, "-o", tmp_path / "fade", *common, "--objective-at", "1..2=class:goldfish") == 0
    same, fade = frames_of(tmp_path / "same"), frames_of(tmp_path / "fade")
    assert np.array_equal(same[0], fade[0])  # before the change nothing differs
    assert not np.array_equal(same[2], fade[2])


def test_resume_refuses_changed_settings_and_a_fresh_start_refuses_to_clobber(tmp_path, capsys):
    out = tmp_path / "frames"
    out.mkdir()
    (out / "000000.png").write_bytes(b"not mine")
    assert run("zoom", EXAMPLE, "-o", out, "--frames", 2, *TINY) == 2
    assert "already holds PNG frames" in capsys.readouterr().err
    assert (out / "000000.png").read_bytes() == b"not mine"
    assert run("zoom", EXAMPLE, "-o", tmp_path / "none.mp4", "--resume", *TINY) == 2
    assert "nothing to resume" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    ([], "INPUT picture or --from"),
    (["--from", "noise"], "needs --size"),
    ([str(EXAMPLE), "--frames", "0"], "--frames must be 1 or more"),
    ([str(EXAMPLE), "--key", "5 spin=2"], "bad keyframe"),
    ([str(EXAMPLE), "--objective-at", "3=blocks.5 +"], "bad objective"),
])
def test_bad_zoom_input_is_a_one_line_error(tmp_path, capsys, args, message):
    assert run("zoom", *args, "-o", tmp_path / "z.mp4") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_ctrl_c_leaves_a_playable_video_and_resume_matches_an_uninterrupted_run(tmp_path):
    args = ["--frames", "24", *TINY, "--zoom", "1.03", "--rotate", "1", "--center", "0.4,0.45"]
    Image.fromarray(small_photo(64, 48)).save(tmp_path / "start.png")
    whole, parts = tmp_path / "whole.mp4", tmp_path / "parts.mp4"
    assert run("zoom", tmp_path / "start.png", "-o", whole, *args) == 0

    command = [sys.executable, "-m", "dreamlayer", "zoom", str(tmp_path / "start.png"), "-o", str(parts), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    work = tmp_path / "parts.mp4.frames"
    deadline = time.monotonic() + 600
    while not (work / "000002.png").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert "--resume" in err
    partial = open_clip(parts)  # a whole, playable file of the frames made so far
    assert 2 <= partial.frames < 24
    assert len(list(partial.read())) == partial.frames
    sidecar = json.loads((tmp_path / "parts.mp4.json").read_text())
    assert sidecar["complete"] is False and sidecar["frames_written"] == partial.frames

    assert run("zoom", tmp_path / "start.png", "-o", parts, *args, "--resume") == 0
    # the same frames, so the same video: compare what a player decodes
    assert [f.tobytes() for f in open_clip(parts).read()] == [f.tobytes() for f in open_clip(whole).read()]
    assert not work.exists() and json.loads((tmp_path / "parts.mp4.json").read_text())["complete"]


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    out = tmp_path / "z.mp4"
    work = tmp_path / "z.mp4.frames"
    work.mkdir()
    np.savez(work / CHECKPOINT, picture=np.zeros((48, 64, 3), np.float32), _done=np.array(1),
             _recipe=np.array(json.dumps({"command": "zoom", "zoom": 1.01})))
    assert run("zoom", EXAMPLE, "-o", out, *TINY, "--resume") == 2
    assert "cannot resume" in capsys.readouterr().err
    assert run("zoom", EXAMPLE, "-o", out, *TINY) == 2  # nor started afresh over it
    assert "--resume" in capsys.readouterr().err
    assert os.path.exists(work / CHECKPOINT)


def test_a_bad_layer_found_at_the_first_frame_leaves_nothing_behind(tmp_path, capsys):
    assert run("zoom", EXAMPLE, "-o", tmp_path / "z.mp4", *TINY, "--layer", "blocks.99") == 2
    assert "blocks.99" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_help_shows_the_zoom_and_video_commands():
    for command, words in ((["zoom"], ["--key", "--objective-at", "--colour-hold", "--resume", "in-out"]),
                           (["dream-video"], ["--blend", "--flow", "--resume"])):
        done = subprocess.run([sys.executable, "-m", "dreamlayer", *command, "--help"], capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0 and all(word in done.stdout for word in words), command


def test_without_the_video_extra_the_cli_starts_and_names_it(tmp_path):
    """cv2 and imageio_ffmpeg made unimportable in a fresh interpreter, as on an install without [video]."""
    script = ("import sys; sys.modules['cv2'] = None; sys.modules['imageio_ffmpeg'] = None\n"
              "from dreamlayer.cli import main\n"
              f"sys.exit(main(['zoom', {str(EXAMPLE)!r}, '-o', {str(tmp_path / 'z.mp4')!r}]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    assert "pip install 'dreamlayer[video]'" in done.stderr and done.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())
