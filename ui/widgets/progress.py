"""Progress bar with the time left and a Stop button, for dreams and downloads alike."""
from __future__ import annotations

from typing import Optional

from ..qt import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget, pyqtSignal


def time_left_text(seconds: Optional[float]) -> str:
    """'About 12 s left', 'About 3 min left'; empty while there is no estimate yet."""
    if seconds is None:
        return "Estimating time left..."
    if seconds < 1:
        return "Almost done"
    if seconds < 90:
        return f"About {round(seconds)} s left"
    return f"About {round(seconds / 60)} min left"


def size_text(size: int) -> str:
    """Bytes as a painter reads them: '98 MB'."""
    if size >= 1_000_000_000:
        return f"{size / 1e9:.1f} GB"
    return f"{max(size, 0) / 1e6:.0f} MB"


class ProgressRow(QWidget):
    """Idle: empty bar. Dreaming: steps done and time left. Downloading: bytes done."""

    stop_requested = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(objectName="progressBar", toolTip="How far the dream (or download) has got")
        self.bar.setTextVisible(True)
        self.time_left = QLabel(objectName="timeLeft", toolTip="Estimated from the speed so far")
        self.stop = QPushButton("S&top", objectName="stop", toolTip="Stop the dream that is running (Alt+T)")
        self.stop.clicked.connect(self.stop_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.time_left)
        layout.addWidget(self.stop)
        self.idle()

    def idle(self, text: str = "") -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat(text)
        self.time_left.clear()
        self.stop.setEnabled(False)

    def begin(self, text: str) -> None:
        """A dream was asked for; the engine may still be loading the model."""
        self.bar.setRange(0, 0)
        self.bar.setFormat(text)
        self.time_left.setText(time_left_text(None))
        self.stop.setEnabled(True)

    def step(self, step: int, total: int, eta: Optional[float]) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(step)
        self.bar.setFormat(f"Step {step} of {total}")
        self.time_left.setText(time_left_text(eta))

    def download(self, model: str, done: int, total: int) -> None:
        self.bar.setRange(0, 1000 if total else 0)
        self.bar.setValue(round(1000 * done / total) if total else 0)
        of_total = f" of {size_text(total)}" if total else ""
        self.bar.setFormat(f"Downloading {model}: {size_text(done)}{of_total}")
        self.time_left.clear()
        self.stop.setEnabled(False)
