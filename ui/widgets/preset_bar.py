"""Pick a preset, or save the current settings as one of your own."""
from __future__ import annotations

from typing import Optional

from ..qt import QComboBox, QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPushButton, QWidget, Qt, pyqtSignal

from ..presets import Preset, PresetStore

PROMPT = "Choose a preset..."


class PresetBar(QWidget):
    """``chosen`` carries the preset picked; saving asks the dialog for its state via ``save_requested``."""

    chosen = pyqtSignal(object)
    save_requested = pyqtSignal(str)

    def __init__(self, store: PresetStore, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.store = store
        self.combo = QComboBox(objectName="presets", toolTip="Built-in looks and the ones you saved")
        self.save = QPushButton("Save...", objectName="savePreset", toolTip="Save the current settings as a preset")
        self.delete = QPushButton("Delete", objectName="deletePreset", toolTip="Delete the chosen preset of yours")
        label = QLabel("&Preset:")
        label.setBuddy(self.combo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.save)
        layout.addWidget(self.delete)
        self.combo.activated.connect(self._activated)
        self.combo.currentIndexChanged.connect(self._sync)
        self.save.clicked.connect(self._ask_name)
        self.delete.clicked.connect(self._delete)
        self.reload()

    def reload(self, select: str = "") -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(PROMPT, None)
        for preset in self.store.all():
            self.combo.addItem(preset.name + ("" if preset.builtin else "  (yours)"), preset.name)
            self.combo.setItemData(self.combo.count() - 1, preset.description or "Saved by you",
                                   Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(max(self.combo.findData(select), 0) if select else 0)
        self.combo.blockSignals(False)
        self._sync()

    def current(self) -> Optional[Preset]:
        name = self.combo.currentData()
        return self.store.find(name) if name else None

    def _sync(self) -> None:
        preset = self.current()
        self.delete.setEnabled(preset is not None and not preset.builtin)

    def _activated(self) -> None:
        preset = self.current()
        if preset is not None:
            self.chosen.emit(preset)

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Name for these settings:")
        if ok and name.strip():
            self.save_requested.emit(name.strip())

    def save_as(self, name: str, values: dict) -> None:
        """Store ``values`` under ``name`` and show it selected; a bad name is explained, not raised."""
        try:
            self.store.save(name, values)
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self, "Save preset", str(exc))
            return
        self.reload(select=name)

    def _delete(self) -> None:
        preset = self.current()
        if preset is not None and not preset.builtin:
            self.store.delete(preset.name)
            self.reload()
