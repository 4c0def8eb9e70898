"""dream-video by shots: cuts found at scene changes, pieces with fades where a shot continues, the same
frames as the sequential chain inside a piece, and a clip dreamed on a local two-worker cluster."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLE
from dreamlayer.cli import main
from dreamlayer.engine.imageio import read_image
from dreamlayer.engine.video.camera import camera_frames, write_tone
from dreamlayer.engine.video.shots import Piece, dream_piece, find_cuts, piece_flows, pieces
from dreamlayer.engine.video.dream_video import start_picture
from dreamlayer.engine.deepdream import dream
from dreamlayer.settings import DreamSettings

pytest.importorskip("cv2")
pytest.importorskip("imageio_ffmpeg")

SIZE = (96, 72)


def _two_scenes() -> list[np.ndarray]:
    """Six frames gliding over the photo, then six over its negative: one real cut, at frame 6."""
    photo = read_image(EXAMPLE).rgb
    return list(camera_frames(photo, 6, SIZE)) + list(camera_frames(1 - photo, 6, SIZE))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dreamlayer.engine.video.io import write_clip

    folder = tmp_path_factory.mktemp("shots")
    write_tone(folder / "tone.wav", 2.0, 440)
    path = folder / "two-scenes.mp4"
    write_clip(path, _two_scenes(), 8, "two scenes", folder / "tone.wav")
    return path


def test_the_cut_is_found_and_a_camera_glide_is_not_cut():
    assert find_cuts(_two_scenes()) == [6]


def test_long_shots_become_pieces_that_fade_in_except_at_a_real_cut():
    assert pieces(12, [6], longest=4, overlap=2) == [Piece(0, 0, 4), Piece(2, 4, 6), Piece(6, 6, 10),
                                                     Piece(8, 10, 12)]
    assert pieces(5, [], longest=48, overlap=4) == [Piece(0, 0, 5)]


def test_a_piece_with_flows_computed_ahead_is_the_sequential_chain():
    frames = _two_scenes()[:3]
    settings = DreamSettings(steps=1, octaves=1, step_size=0.02, jitter=4, device="cpu")
    ahead = dream_piece(frames, piece_flows(frames, "dis"), settings, 0.3, "dis")
    chain = [dream(frames[0], settings).image]
    for before, now in zip(frames, frames[1:]):
        chain.append(dream(start_picture(now, before, chain[-1], 0.3, "dis"), settings).image)
    for a, b in zip(ahead, chain):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_clip_dreamed_by_shots_on_two_workers_keeps_every_frame_and_the_sound(clip, tmp_path, cache, capsys):
    from dreamlayer.engine.video.io import open_clip

    out = tmp_path / "out.mp4"
    assert main(["dream-video", str(clip), "-o", str(out), "--octaves", "1", "--step-size", "0.02", "--device", "cpu",
                 "--cluster", "local", "--workers", "2", "--piece-frames", "4", "--fade-frames", "2"]) == 0
    assert "12 frames: 1 cuts, 4 pieces of at most 4 frames" in capsys.readouterr().err
    made = open_clip(out)
    assert made.frames == 12 and made.size == SIZE and made.has_audio
    assert json.loads((tmp_path / "out.mp4.json").read_text())["complete"] is True
    assert not (tmp_path / "out.mp4.frames").exists()  # the work folder is gone once the clip is whole
