"""The Krita extension: "Dream…" and a "visible layers" switch in the Filter menu.

The only module that imports Krita's ``krita``; everything it does is delegated to
``command``, which works on Krita's objects passed in.
"""
from __future__ import annotations

from typing import Any, Optional

from krita import Extension, Krita
from dreamlayer.ui.qt import QMessageBox, QWidget, pyqtSignal

from dreamlayer.plugin.krita.apply import run_steps
from dreamlayer.plugin.krita.command import dream_on_document
from dreamlayer.plugin.krita.config import engine_python
from dreamlayer.plugin.krita.host import Application, Document

DREAM_ACTION = "dreamlayer_dream"
VISIBLE_ACTION = "dreamlayer_dream_visible"
SETTINGS_GROUP = "dreamlayer"
VISIBLE_SETTING = "dream_visible"
TITLE = "Dream"


class DreamExtension(Extension):
    """Registers the menu actions in every window and runs the Dream command.

    ``applied`` fires once a dream's layer is in place ("") or could not be added (why).
    """

    applied = pyqtSignal(str)

    def __init__(self, parent: Any, plugin_dir: str) -> None:
        super().__init__(parent)
        self._plugin_dir = plugin_dir
        self._applying = False

    def setup(self) -> None:
        pass

    def createActions(self, window: Any) -> None:
        dream = window.createAction(DREAM_ACTION, "Dream…", "filter")
        dream.setToolTip("Dream on the active layer, only where selected, into a new layer")
        dream.triggered.connect(self.dream)
        visible = window.createAction(VISIBLE_ACTION, "Dream From Visible Layers", "filter")
        visible.setCheckable(True)
        visible.setChecked(self._use_visible())
        visible.toggled.connect(self._remember_visible)

    def _use_visible(self) -> bool:
        return Krita.instance().readSetting(SETTINGS_GROUP, VISIBLE_SETTING, "false") == "true"

    def _remember_visible(self, checked: bool) -> None:
        Krita.instance().writeSetting(SETTINGS_GROUP, VISIBLE_SETTING, "true" if checked else "false")

    def dream(self) -> None:
        app = Krita.instance()
        window = app.activeWindow()
        parent = window.qwindow() if window is not None else None
        document = app.activeDocument()
        if self._applying:
            return
        if document is None:
            QMessageBox.information(parent, TITLE, "Open an image to dream on first.")
            return
        try:
            steps = dream_on_document(Application(app), Document(document), engine_python(self._plugin_dir),
                                      composite=self._use_visible(), parent=parent)
        except (ValueError, OSError) as error:
            QMessageBox.warning(parent, TITLE, str(error))
            return
        if steps is not None:
            self._applying = True
            run_steps(steps, lambda layer: self._finished(parent, None),
                      lambda error: self._finished(parent, error))

    def _finished(self, parent: Optional[QWidget], error: Optional[Exception]) -> None:
        self._applying = False
        if error is not None:
            QMessageBox.warning(parent, TITLE, f"The dream could not be added: {error}")
        self.applied.emit("" if error is None else str(error))


def register(plugin_dir: str) -> None:
    """Called by the installed ``dreamlayer_krita`` package's ``__init__``."""
    Krita.instance().addExtension(DreamExtension(Krita.instance(), plugin_dir))
