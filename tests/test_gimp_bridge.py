"""The engine's side of the GIMP plug-in, as the plug-in calls it: a request folder in, a result folder out."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from PIL import Image

from dreamlayer.plugin.gimp import bridge
from dreamlayer.settings import DreamSettings
from dreamlayer.ui.objective import result_name

WIDTH, HEIGHT = 48, 32
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cat.jpg"


def small_photo(width: int, height: int) -> np.ndarray:
    """The README's photo, shrunk (imported from tests/conftest.py, it clashes with tests/ui/conftest.py)."""
    return np.asarray(Image.open(EXAMPLE).convert("RGB").resize((width, height), Image.LANCZOS))
SETTINGS = {"steps": 1, "octaves": 1}


def soft_mask() -> bytes:
    """0 on the left, rising to 255 on the right: a soft selection."""
    row = np.clip(np.linspace(-128, 383, WIDTH), 0, 255).astype(np.uint8)
    return np.tile(row, HEIGHT).tobytes()


def write_request(folder: Path, depth: int = 8, mask: bool = True, **fields: object) -> bytes:
    rgb = small_photo(WIDTH, HEIGHT).astype(np.uint16 if depth == 16 else np.uint8) * (257 if depth == 16 else 1)
    alpha = np.full((HEIGHT, WIDTH, 1), 65535 if depth == 16 else 255, rgb.dtype)
    pixels = np.concatenate([rgb, alpha], axis=2).astype("<u2" if depth == 16 else np.uint8).tobytes()
    (folder / bridge.IMAGE).write_bytes(pixels)
    if mask:
        (folder / bridge.MASK).write_bytes(soft_mask())
    request = {"mode": "batch", "width": WIDTH, "height": HEIGHT, "depth": depth, "mask": mask,
               "settings": SETTINGS, **fields}
    (folder / bridge.REQUEST).write_text(json.dumps(request), encoding="utf-8")
    return pixels


def result(folder: Path) -> dict:
    return json.loads((folder / bridge.RESULT).read_text(encoding="utf-8"))


@pytest.mark.parametrize("depth", [8, 16])
def test_a_batch_dream_comes_back_as_the_layer_and_the_mask_it_used(tmp_path: Path, depth: int) -> None:
    pixels = write_request(tmp_path, depth)
    assert bridge.serve(tmp_path) == "applied"
    answer = result(tmp_path)
    assert answer == {"status": "applied", "name": result_name(DreamSettings(**SETTINGS)), "mask": True}
    layer = (tmp_path / bridge.LAYER_OUT).read_bytes()
    assert len(layer) == len(pixels) and layer != pixels
    samples = np.frombuffer(layer, "<u2" if depth == 16 else np.uint8).reshape(HEIGHT, WIDTH, 4)
    assert (samples[..., 3] == (65535 if depth == 16 else 255)).all()  # the source's alpha
    assert (tmp_path / bridge.MASK_OUT).read_bytes() == soft_mask()  # the plug-in masks its layer with this


def test_without_a_selection_there_is_no_mask(tmp_path: Path) -> None:
    write_request(tmp_path, mask=False)
    assert bridge.serve(tmp_path) == "applied"
    assert result(tmp_path)["mask"] is False and not (tmp_path / bridge.MASK_OUT).exists()


@pytest.mark.parametrize("settings, words", [({"steps": -1}, "steps must be at least 0"),
                                             ({"model": "no-such-model", "steps": 1}, "no-such-model")])
def test_bad_settings_are_one_line_and_no_pixels(tmp_path: Path, settings: dict, words: str) -> None:
    write_request(tmp_path, settings=settings)
    assert bridge.serve(tmp_path) == "error"
    answer = result(tmp_path)
    assert answer["status"] == "error" and words in answer["message"] and "\n" not in answer["message"]
    assert not (tmp_path / bridge.LAYER_OUT).exists()


def test_a_garbled_request_is_an_error_not_a_crash(tmp_path: Path) -> None:
    write_request(tmp_path)
    (tmp_path / bridge.IMAGE).write_bytes(b"short")
    assert bridge.serve(tmp_path) == "error"
    assert "cannot be read" in result(tmp_path)["message"]


def test_the_module_runs_as_the_plugin_starts_it(tmp_path: Path) -> None:
    write_request(tmp_path)
    done = subprocess.run([sys.executable, "-m", "dreamlayer.plugin.gimp.bridge", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert result(tmp_path)["status"] == "applied"
    assert subprocess.run([sys.executable, "-m", "dreamlayer.plugin.gimp.bridge"], capture_output=True,
                          timeout=120).returncode == 2
