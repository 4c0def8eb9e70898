"""`dreamlayer dream-video` and its pieces with the real default network: flow warping, occlusion,
flicker against the naive per-frame dream, kept sound. Clips are a few tiny frames."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLE
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.imageio import read_image
from dreamlayer.engine.video.camera import camera_frames, make_clip
from dreamlayer.engine.video.flicker import flicker, strength
from dreamlayer.engine.video.flow import flow, grey, trust, warp_back
from dreamlayer.engine.video.io import open_clip, output_kind, read_frame
from dreamlayer.engine.video.needs import need

from dreamlayer.cli import main

pytest.importorskip("cv2")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

DREAM = ["--octaves", "1", "--step-size", "0.02", "--jitter", "4"]


def run(*args: object) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Ten 96x72 frames of a camera gliding over the example photo, with a tone."""
    path = tmp_path_factory.mktemp("clip") / "camera.mp4"
    make_clip(EXAMPLE, path, frames=10, size=(96, 72), fps=10, tone=440)
    return path


def test_a_missing_library_names_the_extra():
    with pytest.raises(DreamError, match=r"dreamlayer\[video\]"):
        need("surely_no_such_module_here")


def test_flow_recovers_a_known_shift_and_warps_back():
    a, b = list(camera_frames(read_image(EXAMPLE).rgb, 20, (128, 96)))[9:11]
    forward = flow(grey(a), grey(b))
    pulled = warp_back(b, forward)  # b's content at a's pixels
    inner = (slice(12, -12), slice(12, -12))
    assert np.abs(pulled - a)[inner].mean() < 0.5 * np.abs(b - a)[inner].mean()


def test_trust_drops_what_left_the_frame():
    rng = np.random.default_rng(1)
    texture = rng.random((72, 96, 3)).astype(np.float32)
    texture = need("cv2").GaussianBlur(texture, (0, 0), 1.5)
    moved = np.roll(texture, 6, axis=1)  # the camera pans: content moves 6 px right
    forward, backward = flow(grey(moved), grey(texture)), flow(grey(texture), grey(moved))
    mask = trust(forward, backward)
    assert mask[20:52, 30:70].mean() > 0.9  # the middle is seen in both frames
    assert mask[:, :3].mean() < 0.5  # what entered on the left was not in the earlier frame


def test_dream_video_flickers_less_than_dreaming_each_frame_alone_and_keeps_the_sound(clip, tmp_path):
    naive, ours = tmp_path / "naive.mp4", tmp_path / "ours.mp4"
    # the carried dream builds up over frames, so one step per frame matches two steps of a lone dream
    assert run("dream-video", clip, "-o", naive, "--blend", 1, *DREAM, "--steps", 2) == 0
    assert run("dream-video", clip, "-o", ours, "--blend", 0.3, *DREAM, "--steps", 1) == 0
    source = open_clip(clip)
    made = {path.name: open_clip(path) for path in (naive, ours)}
    shaking = {name: flicker(source.read(), out.read()) for name, out in made.items()}
    dreamed = {name: strength(source.read(), out.read()) for name, out in made.items()}
    assert dreamed["ours.mp4"] > 0.8 * dreamed["naive.mp4"], dreamed  # a dream as strong, or nearly
    assert shaking["ours.mp4"] < 0.8 * shaking["naive.mp4"], shaking
    out = made["ours.mp4"]
    assert out.has_audio and out.frames == source.frames and out.size == source.size
    assert json.loads((tmp_path / "ours.mp4.json").read_text())["blend"] == 0.3


def test_a_silent_clip_stays_silent_and_gif_output_works(tmp_path):
    silent = tmp_path / "silent.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=8", "-t", "0.5", "-pix_fmt", "yuv420p", str(silent)], check=True)
    assert run("dream-video", silent, "-o", tmp_path / "out.mp4", *DREAM, "--frames", 3) == 0
    out = open_clip(tmp_path / "out.mp4")
    assert out.frames == 3 and not out.has_audio
    assert run("dream-video", silent, "-o", tmp_path / "out.gif", *DREAM, "--frames", 2, "--flow", "farneback") == 0


def test_sound_made_by_ffmpeg_survives_in_webm(tmp_path):
    with_sound = tmp_path / "sound.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=8",
                    "-f", "lavfi", "-i", "sine=frequency=330", "-t", "0.5", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(with_sound)], check=True)
    assert run("dream-video", with_sound, "-o", tmp_path / "out.webm", *DREAM, "--frames", 2) == 0
    assert open_clip(tmp_path / "out.webm").has_audio


def test_bad_video_input_is_a_one_line_error(tmp_path, capsys):
    not_video = tmp_path / "clip.mp4"
    not_video.write_text("hello")
    assert run("dream-video", not_video, "-o", tmp_path / "out.mp4") == 2
    assert run("dream-video", tmp_path / "missing.mp4", "-o", tmp_path / "out.mp4") == 2
    assert run("dream-video", not_video, "-o", tmp_path / "out.avi") == 2
    assert run("dream-video", not_video, "-o", tmp_path / "out.mp4", "--blend", 2) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("dreamlayer: ") for line in err)
    assert not (tmp_path / "out.mp4").exists()


def test_dream_video_stopped_by_ctrl_c_resumes_to_the_same_frames(clip, tmp_path):
    args = [str(clip), *DREAM, "--steps", "1"]
    assert run("dream-video", *args, "-o", tmp_path / "whole") == 0
    parts = tmp_path / "parts"
    process = subprocess.Popen([sys.executable, "-m", "dreamlayer", "dream-video", *args, "-o", str(parts)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not (parts / "000003.png").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert run("dream-video", *args, "-o", parts, "--resume") == 0
    whole = sorted((tmp_path / "whole").glob("*.png"))
    assert len(whole) == 10 and [p.name for p in whole] == sorted(p.name for p in parts.glob("*.png"))
    assert all(np.array_equal(read_frame(p), read_frame(parts / p.name)) for p in whole)


@pytest.mark.parametrize("name,kind", [("a.mp4", ".mp4"), ("a.WebM", ".webm"), ("a.gif", ".gif"), ("a.webp", ".webp"),
                                       ("frames", "frames"), ("run-hold0.5", "frames")])
def test_output_kind_follows_the_extension_and_a_dotted_folder_name_is_a_folder(tmp_path, name, kind):
    assert output_kind(tmp_path / name) == kind


@pytest.mark.parametrize("name", ["a.avi", "a.png", "missing/a.mp4"])
def test_outputs_that_cannot_be_written_are_refused_before_dreaming(tmp_path, name):
    with pytest.raises(DreamError, match="cannot write"):
        output_kind(tmp_path / name)
