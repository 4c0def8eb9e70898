"""Shared fixtures: small real photos, an isolated weight cache, and a guard against leaked process state."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlayer.engine import runtime

# The tests run in a process tuned as the command line and the engine process tune theirs (before
# torch loads), so a test that runs the command line in-process changes nothing for later tests.
runtime.configure()

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


# Set by pytest for each test, and by torch itself the first time it needs its compile cache.
OWN_VARIABLES = {"PYTEST_CURRENT_TEST", "TORCHINDUCTOR_CACHE_DIR"}


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}


@pytest.fixture(autouse=True)
def process_state_is_left_as_found():
    """Fail the test that changes torch's thread counts or the environment, and put them back.

    Such a change leaks into every later test: the digits training once set one thread for the
    rest of the run, so a later test passed or failed depending on the order. monkeypatch's
    changes are undone before this runs.
    """
    environment = _environment()
    torch = sys.modules.get("torch")  # not imported here: the engine sets OpenMP's policy before torch loads
    threads = (torch.get_num_threads(), torch.get_num_interop_threads()) if torch else None
    yield
    leaks = []
    now = _environment()
    if now != environment:
        changed = sorted(k for k in environment.keys() | now.keys() if environment.get(k) != now.get(k))
        leaks.append(f"environment variables {', '.join(changed)}")
        for name in changed:
            if name in environment:
                os.environ[name] = environment[name]
            else:
                del os.environ[name]
    if threads and threads != (torch.get_num_threads(), torch.get_num_interop_threads()):
        leaks.append(f"torch threads {threads} -> {(torch.get_num_threads(), torch.get_num_interop_threads())}")
        torch.set_num_threads(threads[0])  # interop threads can be set only once per process
    if leaks:
        pytest.fail("the test changed process-wide state for later tests: " + "; ".join(leaks), pytrace=False)


@pytest.fixture(scope="session")
def lite0_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EfficientNet-Lite0's whole gradient graph (every layer and the logits), exported once per run
    through the command line: the export takes most of the ONNX tests' time."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from dreamlayer.cli import main

    path = tmp_path_factory.mktemp("onnx") / "efficientnet-lite0.onnx"
    assert main(["export-onnx", "efficientnet-lite0", "-o", str(path)]) == 0
    return path
