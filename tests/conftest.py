"""Shared fixtures: small real photos and an isolated weight cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cat.jpg"


def small_photo(width: int = 96, height: int = 72) -> np.ndarray:
    """The README's example photo, shrunk: a real picture keeps the network's response realistic."""
    image = Image.open(EXAMPLE).convert("RGB").resize((width, height), Image.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


@pytest.fixture
def photo_png(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(small_photo()).save(path)
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private weight cache, so tests never touch or depend on the user's."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DREAMLAYER_CACHE", str(folder))
    return folder
