"""The GIMP bridge's dialog mode: the painter closing the Dream dialog is a cancel, and nothing comes back."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from dreamlayer.plugin.gimp import bridge
from dreamlayer.ui.dialog import DreamDialog
from dreamlayer.ui.qt import QApplication, QTimer
from dreamlayer.ui.session import engine_client
from uihelpers import photo


def test_cancel_in_the_dialog_is_a_cancel_for_gimp(qapp, tmp_path: Path) -> None:
    image = photo(40, 30)
    (tmp_path / bridge.IMAGE).write_bytes(image.data)
    (tmp_path / bridge.REQUEST).write_text(json.dumps({"mode": "dialog", "width": 40, "height": 30, "depth": 8,
                                                       "mask": False, "colour": "RGB, 8-bit"}), encoding="utf-8")
    seen: list[str] = []

    def close_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, DreamDialog):
            seen.append(dialog.size_note.text())
            dialog.cancel_button.click()
        else:
            QTimer.singleShot(50, close_the_dialog)

    QTimer.singleShot(50, close_the_dialog)
    assert bridge.serve(tmp_path) == "cancelled"
    assert json.loads((tmp_path / bridge.RESULT).read_text(encoding="utf-8")) == {"status": "cancelled"}
    assert not (tmp_path / bridge.LAYER_OUT).exists()
    assert seen and "RGB, 8-bit" in seen[0]  # the dialog said what GIMP's layer is
    engine_client(sys.executable).shutdown()  # the shared engine the dialog started, which the editor would keep
