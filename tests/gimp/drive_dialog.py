"""Test stand-in for ``<engine python> -m dreamlayer.plugin.gimp.bridge FOLDER``: the real bridge, whose
Dream dialog this drives like a painter: wait for the engine, Preview, then Apply.

The test installs the plug-in with an engine "Python" that is a small shell script running this
file instead of the bridge (and the real Python for everything else), so nothing in the product
knows about tests. Writes ``driver.json`` (times, what the engine's environment held) and
``dialog-preview.png`` into ``DREAMLAYER_DRIVE_OUT``; touches ``dialog-preview`` there when a
preview shows, and waits (in the event loop) up to 20 s for the test's ``shot-dialog`` before Apply.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication, QPushButton, QSpinBox

from dreamlayer.plugin.gimp import bridge
from dreamlayer.ui.dialog import DreamDialog

OUT = Path(os.environ["DREAMLAYER_DRIVE_OUT"])
STEPS = int(os.environ.get("DREAMLAYER_DRIVE_STEPS", "4"))
GIVE_UP_S = 300
FOREIGN = ("PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "GI_TYPELIB_PATH", "GEGL_PATH", "BABL_PATH")
facts: dict[str, Any] = {"started": time.time(), "foreign_environment": sorted(k for k in os.environ
                                                                           if k in FOREIGN or k.startswith("DYLD_"))}


def save() -> None:
    (OUT / "driver.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")


def steps() -> Any:
    """The painter's moves; each ``yield`` waits one poll (100 ms) of the event loop."""
    dialog = None
    while not isinstance(dialog, DreamDialog):
        dialog = QApplication.activeModalWidget()
        yield
    facts["dialog_shown"] = time.time()
    dialog.findChild(QSpinBox, "steps").setValue(STEPS)
    preview, apply, stop = (dialog.findChild(QPushButton, name) for name in ("preview", "apply", "stop"))
    while not preview.isEnabled():
        yield
    facts["engine_ready"] = time.time()
    preview.click()
    while dialog.pane.after is None:
        yield
    facts["first_preview"] = time.time()
    dialog.grab().save(str(OUT / "dialog-preview.png"))
    (OUT / "dialog-preview").touch()
    waited = time.monotonic()
    while not (OUT / "shot-dialog").exists() and time.monotonic() - waited < 20:
        yield
    while stop.isEnabled():
        yield
    facts["preview_done"] = time.time()
    facts["status_before_apply"] = dialog.status.text()
    apply.click()
    facts["apply_clicked"] = time.time()
    save()


def drive() -> None:
    moves = steps()
    deadline = time.monotonic() + GIVE_UP_S

    def poll() -> None:
        try:
            next(moves)
        except StopIteration:
            return
        if time.monotonic() > deadline:
            facts["gave_up"] = True
            save()
            modal = QApplication.activeModalWidget()
            if modal is not None:
                modal.reject()
            return
        QTimer.singleShot(100, poll)

    QTimer.singleShot(100, poll)


if __name__ == "__main__":
    application = QApplication(["dreamlayer (GIMP)"])
    drive()
    code = bridge.main(sys.argv[1:])
    facts["bridge_exit"] = code
    facts["result"] = json.loads((Path(sys.argv[1]) / bridge.RESULT).read_text(encoding="utf-8"))
    save()
    sys.exit(code)
