"""The Dream dialog under PyQt6 (Krita 6's binding), offscreen, with a real engine: Preview, compare, Apply.

Run by ``test_pyqt6.py`` in a process of its own (``DREAMLAYER_QT=PyQt6``), since one process holds
one Qt; ``python tests/ui/pyqt6_dialog.py OUT`` writes ``pyqt6.json`` (check name -> passed, and
facts) and screenshots of the dialog into OUT.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from uihelpers import half_mask, photo, wait_for

from dreamlayer.pixels import Image
from dreamlayer.ui import qt
from dreamlayer.ui.client import EngineClient
from dreamlayer.ui.dialog import DreamDialog
from dreamlayer.ui.presets import PresetStore
from dreamlayer.ui.qt import QApplication, QSettings
from dreamlayer.ui.store import SettingsStore


def main(out: Path) -> int:
    checks: dict[str, bool] = {"the binding is PyQt6": qt.BINDING == "PyQt6",
                               "PyQt5 was never imported": not any(name.startswith("PyQt5") for name in sys.modules)}
    app = QApplication(["dreamlayer-pyqt6-test"])
    client = EngineClient(sys.executable)
    client.start()
    wait_for(lambda: client.is_ready)
    shaded = photo(96, 64)  # its alpha varies along each row; opaque here, so the screenshots show the photo
    image = Image(96, 64, bytes(b if i % 4 != 3 else 255 for i, b in enumerate(shaded.data)), 8)
    mask = half_mask(96, 64)
    store = SettingsStore(QSettings(str(out / "dialog.ini"), QSettings.IniFormat))
    dialog = DreamDialog(client, image, mask, presets=PresetStore(out / "presets.json"), store=store)
    dialog.show()
    wait_for(lambda: dialog.preview_button.isEnabled())
    dialog.strength.steps.setValue(2)
    dialog.preview_button.click()
    wait_for(lambda: dialog._run is None and dialog._finished_preview is not None)
    checks["a preview was shown"] = dialog.pane.after is not None
    dialog.grab().save(str(out / "dialog-pyqt6.png"))
    dialog.compare.setChecked(True)
    dialog.pane.set_split(0.5)
    checks["the before/after split draws"] = not dialog.pane.grab().toImage().isNull()
    dialog.grab().save(str(out / "dialog-pyqt6-compare.png"))
    dialog.apply_button.click()
    wait_for(lambda: dialog.result() == DreamDialog.Accepted)
    outcome = dialog.outcome
    size = None if outcome is None else (outcome.image.width, outcome.image.height)
    checks["Apply hands back the dream"] = size == (96, 64)
    checks["and the mask it used"] = outcome is not None and outcome.mask == mask
    checks["the left half is untouched"] = outcome is not None and all(
        outcome.image.data[4 * p:4 * p + 4] == image.data[4 * p:4 * p + 4]
        for p in range(96 * 64) if mask.data[p] == 0)
    client.shutdown()
    app.processEvents()
    (out / "pyqt6.json").write_text(json.dumps({"checks": checks, "layer_name": outcome and outcome.layer_name}),
                                    encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
