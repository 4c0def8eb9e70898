"""A strip across the top of the dialog for when the engine is gone, with a Restart button."""
from __future__ import annotations

from typing import Optional

from ..qt import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget, pyqtSignal


class EngineBanner(QFrame):
    """Says in plain words that the engine stopped and that the picture is untouched."""

    restart_requested = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent, objectName="engineBanner")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#engineBanner { background: #fff3cd; } #engineBanner QLabel { color: #3d2c00; }")
        self.text = QLabel(objectName="bannerText", wordWrap=True)
        self.restart = QPushButton("&Restart engine", objectName="restart",
                                   toolTip="Start the dream engine again (Alt+R)")
        self.restart.clicked.connect(self.restart_requested)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.restart)
        self.hide()

    def show_problem(self, message: str, details: str = "", restartable: bool = True) -> None:
        """Show ``message``; offer a restart only where one can help (not for a broken install)."""
        self.text.setText(f"{message} Your picture has not been changed." + (" Restart the engine?" if restartable
                                                                              else ""))
        self.text.setToolTip(details or message)
        self.restart.setVisible(restartable)
        self.show()
