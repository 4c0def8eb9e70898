"""What to dream of: a layer (friendly names, low to high) and a mode with its own choice."""
from __future__ import annotations

from typing import Any, Optional

from ..qt import (QComboBox, QCompleter, QFileDialog, QFormLayout, QHBoxLayout, QIcon, QLabel, QLineEdit, QPixmap,
                  QSize, QSpinBox, QStackedWidget, QToolButton, QWidget, Qt, pyqtSignal)

from dreamlayer.settings import DreamSettings

from ..objective import MODE_TITLES, MODES, with_objective

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp)"
LAYER_ICON = QSize(32, 32)  # logical pixels; atlas pictures are larger, so they stay sharp at HiDPI
CHANNEL_PICTURE = 64


def layer_title(index: int, count: int, layer: dict[str, Any], default: str) -> str:
    """'blocks.9 (11 of 18, default): object parts: eyes, fur, faces, arches': the layer's real
    name first, so a narrow combo cuts off the hint and never the name."""
    marks = f"{index + 1} of {count}" + (", default" if layer["name"] == default else "")
    return f"{layer['name']} ({marks}): {layer.get('hint') or 'layer'}"


class ObjectiveBox(QWidget):
    """Layer and mode; ``labels_needed`` asks the dialog to fetch class names the first time."""

    labels_needed = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.layer = QComboBox(objectName="layer", toolTip="Which layer of the network to amplify. Low layers "
                                                          "give strokes and textures, high ones eyes and animals.")
        self.layer.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.layer.setMinimumContentsLength(24)
        self.mode = QComboBox(objectName="mode", toolTip="What the dream pushes the picture towards")
        for mode in MODES:
            self.mode.addItem(MODE_TITLES[mode], mode)
        self.channel = QSpinBox(objectName="channel", toolTip="One feature map of the layer; each one "
                                                             "draws its own motif")
        self.channel_picture = QLabel(objectName="channelPicture",
                                      toolTip="What this channel responds to (from the layer atlas)")
        self.channel_picture.hide()
        self.label = QComboBox(objectName="classLabel", toolTip="Type to search the network's classes by name")
        self.label.setEditable(True)
        self.label.setInsertPolicy(QComboBox.NoInsert)
        self.label.setMinimumContentsLength(18)
        self.guide = QLineEdit(objectName="guide", toolTip="A picture whose look the dream should take on",
                               placeholderText="Choose a picture...")
        self.browse = QToolButton(objectName="guideBrowse", text="...", toolTip="Pick the guide picture")
        self.browse.setAccessibleName("Browse for a guide picture")
        self.browse.clicked.connect(self._browse)
        self.pages = QStackedWidget(objectName="modePages")
        self.pages.addWidget(QLabel("The whole layer is amplified.", objectName="layerModeNote"))
        self.pages.addWidget(self._row("C&hannel:", _beside(self.channel, self.channel_picture), buddy=self.channel))
        self.pages.addWidget(self._row("&Class:", self.label))
        self.pages.addWidget(self._row("&Guide:", _beside(self.guide, self.browse), buddy=self.guide))
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Layer:", self.layer)
        form.addRow("Mo&de:", self.mode)
        form.addRow(self.pages)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.layer.currentIndexChanged.connect(self._layer_changed)
        self.channel.valueChanged.connect(self._show_channel_picture)
        self.layer.setIconSize(LAYER_ICON)
        self._layers: list[dict[str, Any]] = []
        self._labels: list[str] = []
        self._wanted_label = ""

    @staticmethod
    def _row(text: str, field: QWidget, buddy: Optional[QWidget] = None) -> QWidget:
        row = QWidget()
        form = QFormLayout(row)
        form.setContentsMargins(0, 0, 0, 0)
        label = QLabel(text)
        label.setBuddy(buddy or field)
        form.addRow(label, field)
        return row

    # --- filling -------------------------------------------------------------------------------

    def set_layers(self, layers: list[dict[str, Any]], default: str, wanted: str = "",
                   depth: Optional[float] = None) -> None:
        """Fill the layer list low to high; select ``wanted``, else the layer at ``depth``, else the default."""
        self._layers = list(layers)
        self.layer.blockSignals(True)
        self.layer.clear()
        for index, layer in enumerate(layers):
            self.layer.addItem(layer_title(index, len(layers), layer, default), layer["name"])
            self.layer.setItemData(index, f"{layer['name']}: {layer.get('channels')} channels, "
                                          f"{layer.get('hint', '')}", Qt.ItemDataRole.ToolTipRole)
            if layer.get("thumbnail"):
                self.layer.setItemIcon(index, QIcon(layer["thumbnail"]))
        self.layer.blockSignals(False)
        view = self.layer.view()  # the open list shows it all; a combo box always has a view (stubs: Optional)
        view.setMinimumWidth(view.sizeHintForColumn(0))  # type: ignore[union-attr]
        if not self.select_layer(wanted) and not self.select_depth(depth):
            self.select_layer(default)
        self._layer_changed()

    def select_layer(self, name: str) -> bool:
        index = self.layer.findData(name) if name else -1
        if index >= 0:
            self.layer.setCurrentIndex(index)
        return index >= 0

    def select_depth(self, depth: Optional[float]) -> bool:
        """Pick the layer at a relative depth (0 = lowest, 1 = highest), as presets ask."""
        if depth is None or not self._layers:
            return False
        self.layer.setCurrentIndex(round(min(max(float(depth), 0.0), 1.0) * (len(self._layers) - 1)))
        return True

    def set_labels(self, labels: list[str]) -> None:
        self._labels = list(labels)
        text = self.label.currentText() or self._wanted_label
        self.label.clear()
        self.label.addItems(self._labels)
        completer = QCompleter(self._labels, self.label)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.label.setCompleter(completer)
        self.label.setCurrentIndex(-1)
        self.label.setEditText(text)

    def clear_labels(self) -> None:
        self._wanted_label = self.label.currentText() or self._wanted_label
        self._labels = []

    def has_labels(self) -> bool:
        return bool(self._labels)

    # --- reading -------------------------------------------------------------------------------

    def current_layer(self) -> str:
        return self.layer.currentData() or ""

    def current_mode(self) -> str:
        return self.mode.currentData()

    def aimed(self, settings: DreamSettings) -> DreamSettings:
        """``settings`` with the layer and objective chosen here; ValueError for an incomplete choice."""
        return with_objective(settings, self.current_mode(), self.current_layer(), channel=self.channel.value(),
                              label=self.label.currentText(), labels=self._labels or None, guide=self.guide.text())

    def values(self) -> dict[str, Any]:
        return {"layer": self.current_layer(), "mode": self.current_mode(), "channel": self.channel.value(),
                "label": self.label.currentText() or self._wanted_label, "guide": self.guide.text()}

    def set_values(self, values: dict[str, Any]) -> None:
        if values.get("mode") in MODES:
            self.mode.setCurrentIndex(MODES.index(values["mode"]))
        if values.get("layer"):
            self.select_layer(values["layer"])
        if values.get("layer_depth") is not None:
            self.select_depth(values["layer_depth"])
        if values.get("channel") is not None:
            self.channel.setValue(int(values["channel"]))
        if values.get("label") is not None:
            self._wanted_label = str(values["label"])
            self.label.setEditText(self._wanted_label)
        if values.get("guide") is not None:
            self.guide.setText(str(values["guide"]))

    # --- reacting ------------------------------------------------------------------------------

    def _mode_changed(self) -> None:
        self.pages.setCurrentIndex(self.mode.currentIndex())
        self.layer.setEnabled(self.current_mode() != "class")
        if self.current_mode() == "class" and not self._labels:
            self.labels_needed.emit()

    def _layer_changed(self) -> None:
        info = next((layer for layer in self._layers if layer["name"] == self.current_layer()), None)
        self.channel.setRange(0, max(int(info.get("channels", 1)) - 1, 0) if info else 0)
        self._show_channel_picture()

    def _show_channel_picture(self) -> None:
        """The atlas picture of the chosen channel, when the atlas has painted it."""
        info = next((layer for layer in self._layers if layer["name"] == self.current_layer()), {})
        path = info.get("channel_thumbnails", {}).get(str(self.channel.value()))
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            self.channel_picture.hide()
            return
        ratio = self.devicePixelRatioF()
        side = round(CHANNEL_PICTURE * ratio)
        pixmap = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        pixmap.setDevicePixelRatio(ratio)
        self.channel_picture.setPixmap(pixmap)
        self.channel_picture.show()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Guide picture", self.guide.text(), IMAGE_FILTER)
        if path:
            self.guide.setText(path)


def _beside(main: QWidget, extra: QWidget) -> QWidget:
    """``main`` stretched, with ``extra`` (a button, a picture) at its right."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    layout.addWidget(extra)
    return row
