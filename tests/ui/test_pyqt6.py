"""PyQt6 (Krita 6's binding): the binding module's choice, and the whole dialog run under PyQt6 offscreen."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dreamlayer.ui.qt import BindingError, choose_binding

HERE = Path(__file__).resolve().parent


def test_the_binding_the_editor_loaded_wins_over_what_is_asked() -> None:
    assert choose_binding({"PyQt5.QtCore": object()}, {"DREAMLAYER_QT": "PyQt6"}) == "PyQt5"  # Krita 5
    assert choose_binding({"PyQt6.QtCore": object()}, {}) == "PyQt6"  # Krita 6


def test_a_process_of_our_own_takes_the_asked_binding_else_the_installed_one() -> None:
    assert choose_binding({}, {"DREAMLAYER_QT": "PyQt6"}) == "PyQt6"
    assert choose_binding({}, {}) == ("PyQt5" if importlib.util.find_spec("PyQt5") else "PyQt6")
    with pytest.raises(BindingError, match="DREAMLAYER_QT='Qt4'"):
        choose_binding({}, {"DREAMLAYER_QT": "Qt4"})


@pytest.mark.skipif(importlib.util.find_spec("PyQt6") is None, reason="PyQt6 is not installed (it is in the dev extra)")
def test_the_dialog_previews_and_applies_under_pyqt6(tmp_path: Path) -> None:
    env = dict(os.environ, DREAMLAYER_QT="PyQt6", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(HERE / "pyqt6_dialog.py"), str(tmp_path)], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "pyqt6.json").read_text(encoding="utf-8"))
    assert results["checks"] and all(results["checks"].values()), results
    assert (tmp_path / "dialog-pyqt6.png").stat().st_size > 10_000
