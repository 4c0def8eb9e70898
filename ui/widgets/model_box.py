"""The model picker: installed models first, others offered for download."""
from __future__ import annotations

from typing import Any, Optional

from ..qt import QComboBox, QHBoxLayout, QPushButton, QWidget, Qt, pyqtSignal

from .progress import size_text


class ModelBox(QWidget):
    """A combo of the engine's models; the Download button lights up for one not installed."""

    model_changed = pyqtSignal(str)
    download_requested = pyqtSignal(str)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(objectName="model", toolTip="The network that dreams. Different networks "
                                                          "have learned different things, so they dream differently.")
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(18)
        self.download = QPushButton("Do&wnload", objectName="download",
                                    toolTip="Download the chosen model's weights (once per computer)")
        self.download.setEnabled(False)
        self.download.clicked.connect(lambda: self.download_requested.emit(self.current_model()))
        self.combo.currentIndexChanged.connect(self._changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.download)
        self._infos: dict[str, dict[str, Any]] = {}

    def set_models(self, models: list[dict[str, Any]], wanted: str) -> None:
        """Fill the list, keeping ``wanted`` selected if the engine has it."""
        self._infos = {m["name"]: m for m in models}
        ordered = sorted(models, key=lambda m: not m.get("installed"))
        self.combo.blockSignals(True)
        self.combo.clear()
        for info in ordered:
            text = info["name"]
            if not info.get("installed"):
                text += f"  (not downloaded, {size_text(info.get('size_bytes') or 0)})"
            self.combo.addItem(text, info["name"])
            self.combo.setItemData(self.combo.count() - 1, info.get("description", ""), Qt.ItemDataRole.ToolTipRole)
        index = self.combo.findData(wanted)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        self._changed()

    def current_model(self) -> str:
        return self.combo.currentData() or ""

    def installed(self) -> bool:
        return bool(self._infos.get(self.current_model(), {}).get("installed"))

    def select(self, name: str) -> bool:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        return index >= 0

    def set_downloading(self, busy: bool) -> None:
        self.combo.setEnabled(not busy)
        self.download.setEnabled(not busy and not self.installed()
                                 and bool(self._infos.get(self.current_model(), {}).get("downloadable")))

    def _changed(self) -> None:
        self.set_downloading(False)
        self.model_changed.emit(self.current_model())
