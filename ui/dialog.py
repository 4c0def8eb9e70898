"""The Dream dialog: settings on the right, a live preview on the left, Apply at the bottom.

One dialog for every editor: it sees only pixel value types and an :class:`EngineClient`.
Previews dream a reduced copy of the picture; Apply dreams the full picture (or reuses the
preview when the picture was small enough to preview at full size). The document is never
touched here: the editor gets an :class:`Outcome` only when Apply succeeds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .qt import QDialog, QDialogButtonBox, QGroupBox, QHBoxLayout, QImage, QLabel, QPushButton, QVBoxLayout, QWidget, Qt

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.protocol import BLENDED, PREVIEW_SIZE
from dreamlayer.settings import DEFAULT_MODEL, DreamSettings

from .client import MISCONFIGURED, EngineClient
from .objective import result_name
from .outcome import Outcome
from .presets import Preset, PresetStore
from .qimage import reduced_image, reduced_mask, to_qimage
from .store import ENGINE_KEY, SettingsStore
from .transport import Remote
from .widgets.banner import EngineBanner
from .widgets.compare import ComparePane
from .widgets.engine_box import EngineBox
from .widgets.mask_box import MaskBox
from .widgets.model_box import ModelBox
from .widgets.objective_box import ObjectiveBox
from .widgets.preset_bar import PresetBar
from .widgets.progress import ProgressRow
from .widgets.strength_box import StrengthBox

ERROR_STYLE = "color: #b00020;"
MIN_START_WIDTH = 980  # logical pixels: room for a useful preview beside the controls


@dataclass
class _Run:
    """The dream the dialog is waiting for."""

    id: int
    full: bool
    key: str  # settings and mask options, to tell whether a finished preview can serve as the result
    settings: DreamSettings


class DreamDialog(QDialog):
    """Modal dialog; after ``exec_()``, ``outcome`` is the applied dream or None."""

    def __init__(self, client: EngineClient, image: Image, mask: Optional[Mask] = None,
                 presets: Optional[PresetStore] = None, store: Optional[SettingsStore] = None,
                 parent: Optional[QWidget] = None, colour: str = "", greyscale: bool = False,
                 result: str = BLENDED, by_alpha: bool = False) -> None:
        """``colour``: the document's colour space in words ("greyscale, 16-bit"), when the editor
        converted it for the dream; ``greyscale``: the result will be grey, so previews are shown grey.
        ``result``/``by_alpha``: the form of the applied dream (see ``dreamlayer.protocol``); the
        pane always shows the blended picture, what the document will look like."""
        super().__init__(parent)
        self.setObjectName("dreamDialog")
        self.setWindowTitle("Dream")
        self.client = client
        self.image = image
        self.selection = mask  # not ``mask``: that would hide QWidget.mask()
        self.store = store or SettingsStore()
        self.outcome: Optional[Outcome] = None
        self.colour = colour or f"{image.depth}-bit"
        self.greyscale = greyscale
        self.result_form, self.by_alpha = result, by_alpha
        self._shown_before_run: Optional[QImage] = None  # the pane's dream before the running one began
        self.preview_source = reduced_image(image, PREVIEW_SIZE)
        self.preview_mask = reduced_mask(mask, self.preview_source.width, self.preview_source.height) if mask else None
        self.preview_factor = self.preview_source.width / image.width
        self._run: Optional[_Run] = None
        # key, image, mask used, region dreamed
        self._finished_preview: Optional[tuple[str, Image, Optional[Mask], Optional[Bounds]]] = None
        self._pulling = ""
        self._layers_model = ""  # the model whose layers the layer list shows
        self._wanted: dict[str, Any] = {}  # model/layer choices waiting for the engine's lists
        self._build(presets or PresetStore())
        self._connections: list[tuple[Any, Callable]] = []
        self._connect_client()
        self.apply_state(self.store.load())
        self._adopt_saved_engine()
        self._begin()

    # --- building ------------------------------------------------------------------------------

    def _build(self, presets: PresetStore) -> None:
        self.banner = EngineBanner()
        self.banner.restart_requested.connect(self._restart)
        self.pane = ComparePane()
        self.pane.setObjectName("previewPane")
        self.pane.setToolTip("Live preview at reduced size. Turn on Before / after, then drag "
                             "(or use the arrow keys) to compare.")
        self.pane.set_before(to_qimage(self.preview_source))
        self.compare = QPushButton("Before / after", objectName="compare", checkable=True,
                                   toolTip="Split the preview: original on the left, dream on the right (Ctrl+B)")
        self.compare.setShortcut("Ctrl+B")
        self.compare.toggled.connect(self.pane.set_comparing)
        self.size_note = QLabel(objectName="sizeNote")
        self.size_note.setText(f"{self.image.width} x {self.image.height} px, {self.colour}"
                               + ("" if self.preview_factor == 1 else
                                  f"; previews at {self.preview_source.width} x {self.preview_source.height}"))
        left = QVBoxLayout()
        left.addWidget(self.pane, 1)
        under = QHBoxLayout()
        under.addWidget(self.compare)
        under.addStretch(1)
        under.addWidget(self.size_note)
        left.addLayout(under)

        self.preset_bar = PresetBar(presets)
        self.preset_bar.chosen.connect(self._preset_chosen)
        self.preset_bar.save_requested.connect(lambda name: self.preset_bar.save_as(name, self.state()))
        self.model_box = ModelBox()
        self.model_box.model_changed.connect(self._model_changed)
        self.model_box.download_requested.connect(self._download)
        self.objective = ObjectiveBox()
        self.objective.labels_needed.connect(self._fetch_labels)
        self.strength = StrengthBox()
        self.mask_box = MaskBox(self.selection is not None)
        self.engine_box = EngineBox()

        what = QGroupBox("What to dream")
        what_layout = QVBoxLayout(what)
        model_row = QHBoxLayout()
        model_label = QLabel("&Model:")
        model_label.setBuddy(self.model_box.combo)
        model_row.addWidget(model_label)
        model_row.addWidget(self.model_box, 1)
        what_layout.addLayout(model_row)
        what_layout.addWidget(self.objective)
        how = QGroupBox("How strongly")
        QVBoxLayout(how).addWidget(self.strength)
        where = QGroupBox("Where")
        QVBoxLayout(where).addWidget(self.mask_box)
        engine = QGroupBox("Engine")
        QVBoxLayout(engine).addWidget(self.engine_box)
        right = QVBoxLayout()
        right.addWidget(self.preset_bar)
        right.addWidget(what)
        right.addWidget(how)
        right.addWidget(where)
        right.addWidget(engine)
        right.addStretch(1)

        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)

        self.progress = ProgressRow()
        self.progress.stop_requested.connect(self._stop)
        self.status = QLabel(objectName="status", wordWrap=True, toolTip="What the dream engine is doing")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_button = QPushButton("Pre&view", objectName="preview",
                                          toolTip="Dream a reduced copy to see the effect quickly (Enter)")
        self.apply_button = QPushButton("&Apply", objectName="apply",
                                        toolTip="Dream the full picture and put the result on a new layer")
        self.cancel_button = QPushButton("Cancel", objectName="cancel",
                                         toolTip="Close without changing the picture (Esc)")
        self.preview_button.setDefault(True)
        buttons = QDialogButtonBox()
        buttons.addButton(self.preview_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.apply_button, QDialogButtonBox.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.RejectRole)
        self.preview_button.clicked.connect(lambda: self._start(full=False))
        self.apply_button.clicked.connect(lambda: self._start(full=True))
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.setSizeGripEnabled(True)
        hint = self.sizeHint()
        self.resize(max(hint.width(), MIN_START_WIDTH), hint.height())
        self.model_box.combo.setFocus()

    def _connect_client(self) -> None:
        """Connections to the shared client, undone when the dialog closes (the client outlives it)."""
        client = self.client
        self._connections = [
            (client.ready, self._engine_ready), (client.models, self._models), (client.layers, self._layers),
            (client.labels, self._labels), (client.progress, self._progress), (client.result, self._result),
            (client.cancelled, self._cancelled), (client.failed, self._failed),
            (client.pull_progress, self._pull_progress), (client.pulled, self._pulled),
            (client.stopped, self._engine_stopped), (client.queued, self._queued),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)

    def _adopt_saved_engine(self) -> None:
        """Dream where the painter chose last time (an incomplete remote choice: here, and say why)."""
        self.engine_box.set_values(self.store.load(ENGINE_KEY))
        try:
            remote = self.engine_box.choice()
        except ValueError as exc:
            self.engine_box.show_problem(f"{exc}; dreaming on this computer until then.")
            remote = None
        self.client.use(remote)
        self.engine_box.chosen.connect(self._use_engine)

    def _begin(self) -> None:
        self._update_buttons()
        if self.client.is_ready:
            self._say("Dream engine ready.")
            self.engine_box.show_engine(self.client.hello)
            self.client.list_models()
            return
        self._connecting()
        self.client.start()

    def _connecting(self) -> None:
        words = "Starting the dream engine..." if self.client.remote is None else \
            f"Connecting to the remote engine at {self.client.remote.address}..."
        self._say(words)
        self.engine_box.connecting(self.client.remote)
        self.progress.begin(words)
        self.progress.stop.setEnabled(False)

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the painter chose, as remembered between runs and saved in presets; not the
        selection options, which belong to this run (see ``MaskBox``)."""
        return {"model": self.model_box.current_model() or self._wanted.get("model", ""),
                **self.strength.values(), **self.objective.values()}

    def apply_state(self, values: dict[str, Any]) -> None:
        """Take a (partial) state; the model and layer are applied as soon as the engine lists them."""
        self.strength.set_values(values)
        self.objective.set_values(values)
        if values.get("layer_depth") is not None:
            self._wanted.pop("layer", None)
        if values.get("layer"):
            self._wanted.pop("layer_depth", None)
        self._wanted.update({k: values[k] for k in ("model", "layer", "layer_depth") if values.get(k) is not None})
        if values.get("model"):
            self.model_box.select(values["model"])

    def current_settings(self) -> DreamSettings:
        """The settings the dream would use now; ValueError with a painter-facing message if incomplete."""
        settings = DreamSettings(model=self.model_box.current_model(), **self.strength.values())
        return self.objective.aimed(settings)

    # --- engine events -------------------------------------------------------------------------

    def _engine_ready(self, hello: dict) -> None:
        self.banner.hide()
        if self._run is None:
            self.progress.idle()
        self._say("Dream engine ready.")
        self.engine_box.show_engine(hello)
        self.client.list_models()

    def _models(self, models: list) -> None:
        self.engine_box.show_engine(self.client.hello, models)
        wanted = self._wanted.get("model") or self.model_box.current_model() or DEFAULT_MODEL
        self.model_box.set_models(models, wanted)

    def _model_changed(self, model: str) -> None:
        self._wanted["layer"] = self.objective.current_layer() or self._wanted.get("layer", "")
        self.objective.clear_labels()
        self._layers_model = ""
        self._update_buttons()
        if not model:
            return
        if not self.model_box.installed():
            self._say(f"{model} is not downloaded yet. Click Download to fetch it (once per computer).")
        self.client.request_layers(model)

    def _layers(self, model: str, layers: list, default: str) -> None:
        if model != self.model_box.current_model():
            return
        self.objective.set_layers(layers, default, self._wanted.pop("layer", ""), self._wanted.pop("layer_depth", None))
        self._layers_model = model
        if self.objective.current_mode() == "class":
            self._fetch_labels()
        self._update_buttons()

    def _fetch_labels(self) -> None:
        if self.model_box.current_model():
            self.client.request_labels(self.model_box.current_model())

    def _labels(self, model: str, labels: list) -> None:
        if model == self.model_box.current_model():
            self.objective.set_labels(labels)

    def _progress(self, dream_id: int, fields: dict, preview: Optional[QImage]) -> None:
        if self._run is None or dream_id != self._run.id:
            return
        self.progress.step(int(fields.get("step", 0)), int(fields.get("total", 0)), fields.get("eta"))
        if preview is not None:
            self.pane.set_after(self._as_result(preview))

    def _result(self, dream_id: int, image: Image, mask: Optional[Mask], fields: dict) -> None:
        run = self._run
        if run is None or dream_id != run.id:
            return
        self._run = None
        region = fields.get("region")  # Bounds, or None: the whole picture (the client decoded it)
        if run.full:
            self._finish(image, mask, region, run.settings)
            return
        self.pane.set_after(self._as_result(to_qimage(fields.get("blended") or image)))
        self._finished_preview = (run.key, image, mask, region)
        seconds = fields.get("seconds")
        self.progress.idle("Preview done" + (f" in {seconds:.1f} s" if seconds is not None else ""))
        self._say("Preview ready. Apply dreams the full picture with these settings.")
        self._update_buttons()

    def _queued(self, dream_id: int, ahead: int) -> None:
        if self._run is not None and dream_id == self._run.id:
            self.progress.begin(f"Waiting for the engine ({ahead} ahead)")
            self.progress.time_left.setText(f"{ahead} ahead")
            self._say(f"Waiting: {ahead} dream{'s' if ahead > 1 else ''} ahead of yours (another editor's, on a "
                      "shared engine).")

    def _cancelled(self, dream_id: int) -> None:
        if self._run is not None and dream_id == self._run.id:
            self._abandon_run()
            self.progress.idle("Stopped")
            self._say("Stopped. The picture has not been changed.")
            self._update_buttons()

    def _failed(self, request_id: int, message: str) -> None:
        if self._run is not None and request_id == self._run.id:
            self._abandon_run()
            self.progress.idle()
        elif self._pulling:
            self._pulling = ""
            self.model_box.set_downloading(False)
            self.progress.idle()
        self._say(message, error=True)
        self._update_buttons()

    def _pull_progress(self, model: str, done: int, total: int) -> None:
        if model == self._pulling:
            self.progress.download(model, done, total)

    def _pulled(self, model: str) -> None:
        self._pulling = ""
        self.progress.idle(f"{model} downloaded")
        self._say(f"{model} is ready to dream.")
        self._wanted["model"] = model
        self.client.list_models()

    def _engine_stopped(self, code: int, message: str) -> None:
        self._abandon_run()
        self._pulling = ""
        self.model_box.set_downloading(False)
        self.progress.idle()
        self.banner.show_problem(message, self.client.log_tail(), restartable=code != MISCONFIGURED)
        self.engine_box.show_problem("Not connected: see the message at the top.")
        self._say("")
        self._update_buttons()

    def _use_engine(self, remote: Optional[Remote]) -> None:
        """The painter chose an engine (or asked to check it): let the running dream go, connect."""
        if self._run is not None:
            self.client.cancel(self._run.id)
            self._abandon_run()
        self._pulling = ""
        self.model_box.set_downloading(False)
        self.banner.hide()
        self.client.use(remote)
        if self.client.is_ready:  # the same engine, already there: ask it again what it is
            self.engine_box.show_engine(self.client.hello)
            self.client.list_models()
            return
        self._layers_model = ""
        self._update_buttons()
        self._connecting()
        self.client.start()

    # --- painter actions -----------------------------------------------------------------------

    def _preset_chosen(self, preset: Preset) -> None:
        self.apply_state(preset.values)
        self._say(f"Preset {preset.name}: {preset.description}" if preset.description else f"Preset {preset.name}.")

    def _download(self, model: str) -> None:
        self._pulling = model
        self.model_box.set_downloading(True)
        self.progress.download(model, 0, 0)
        self._say(f"Downloading {model}...")
        self.client.pull_model(model)

    def _start(self, full: bool) -> None:
        try:
            settings = self.current_settings()
        except ValueError as exc:
            self._say(str(exc)[:1].upper() + str(exc)[1:] + ".", error=True)
            return
        masked = self.mask_box.active()
        options = self.mask_box.values()
        key = json.dumps([settings.to_dict(), options if masked else None], sort_keys=True)
        if full and self.preview_source is self.image and self._finished_preview \
                and self._finished_preview[0] == key:
            self._finish(*self._finished_preview[1:], settings=settings)
            return
        if self._run is not None:
            self.client.cancel(self._run.id)
        else:
            self._shown_before_run = self.pane.after
        image, mask, factor = (self.image, self.selection, 1.0) if full else \
            (self.preview_source, self.preview_mask, self.preview_factor)
        preview_of = None if full or factor == 1 else max(self.image.width, self.image.height)
        reusable = full or self.preview_source is self.image  # this run's result can be what Apply hands back
        dream_id = self.client.dream(image, mask if masked else None, settings, invert=bool(options["invert"]),
                                     feather=float(options["feather"]) * factor, preview_size=PREVIEW_SIZE,
                                     preview_of=preview_of, result=self.result_form if reusable else BLENDED,
                                     by_alpha=self.by_alpha, blended_too=not full)
        self._run = _Run(dream_id, full, key, settings)
        self.progress.begin("Dreaming the full picture..." if full else "Dreaming a preview...")
        self._say("Dreaming the full picture; the preview shows how far it has got." if full else
                  "Dreaming a preview...")
        self._update_buttons()

    def _finish(self, image: Image, mask: Optional[Mask], region: Optional[Bounds], settings: DreamSettings) -> None:
        self.outcome = Outcome(image=image, mask=mask, settings=settings, layer_name=result_name(settings),
                               result=self.result_form, region=region)
        self.accept()

    def _stop(self) -> None:
        if self._run is not None:
            self.client.cancel(self._run.id)

    def _restart(self) -> None:
        self.banner.hide()
        self.client.restart()
        self._connecting()

    # --- helpers -------------------------------------------------------------------------------

    def _abandon_run(self) -> None:
        """The running dream ended without a result: the pane goes back to what it showed before it,
        so a half-dreamed picture is never mistaken for what Apply gives."""
        if self._run is not None:
            self.pane.set_after(self._shown_before_run)
        self._run = None

    def _as_result(self, image: QImage) -> QImage:
        """A dreamed picture as the document will show it (grey for a greyscale document)."""
        return image.convertToFormat(QImage.Format_Grayscale16) if self.greyscale else image

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    def _update_buttons(self) -> None:
        usable = (self.client.is_ready and self.model_box.installed()
                  and self._layers_model == self.model_box.current_model() != "")
        applying = self._run is not None and self._run.full
        self.preview_button.setEnabled(usable and not applying)  # a preview would abandon the Apply
        self.apply_button.setEnabled(usable and not applying)
        self.progress.stop.setEnabled(self._run is not None)

    def done(self, result: int) -> None:
        """Every way out: stop our dream, remember the settings, let go of the shared client."""
        if self._run is not None:
            self.client.cancel(self._run.id)
            self._run = None
        self.store.save(self.state())
        self.store.save(self.engine_box.values(), ENGINE_KEY, private=True)
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        super().done(result)
