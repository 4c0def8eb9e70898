"""The editor's side of the engine process: starts it, speaks the protocol, reports through signals.

Everything is asynchronous (QProcess and its signals), so the editor's UI never waits on the
engine. Requests made while the engine is still starting are held and sent once it has said
hello with the right protocol version.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Any, Optional

from .qt import QImage, QObject, QProcess, QTimer, pyqtSignal

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import Message, ProtocolError
from dreamlayer.settings import DreamSettings

from .qimage import to_qimage

log = logging.getLogger("dreamlayer.engine")
WORKER_MODULE = "dreamlayer.engine.worker"
LOG_LINES = 200
SHUTDOWN_WAIT_MS = 3000
MISCONFIGURED = -2  # the ``stopped`` code when starting the engine again cannot help: fix the install


class EngineClient(QObject):
    """One engine process, kept running between dreams so its models stay loaded."""

    ready = pyqtSignal(dict)  # the engine's hello
    models = pyqtSignal(list)  # [{name, description, size_bytes, installed, path, downloadable}]
    layers = pyqtSignal(str, list, str)  # model, [{name, channels, stride, hint}], default layer
    labels = pyqtSignal(str, list)  # model, class names
    started = pyqtSignal(int)  # dream id
    progress = pyqtSignal(int, dict, object)  # dream id, progress fields, QImage preview or None
    # dream id, pixels.Image (in the form asked), pixels.Mask used or None, fields ("blended": a pixels.Image if asked)
    result = pyqtSignal(int, object, object, dict)
    cancelled = pyqtSignal(int)  # dream id
    failed = pyqtSignal(int, str)  # request id (-1 if none), one-line message
    pull_progress = pyqtSignal(str, int, int)  # model, bytes done, bytes total (0 = unknown)
    pulled = pyqtSignal(str)  # model
    stopped = pyqtSignal(int, str)  # exit code (-1 if it never ran, MISCONFIGURED), plain words for the painter

    hello_timeout_s = 60.0  # the engine says hello before loading any model: seconds at most, even on a busy machine

    def __init__(self, engine_python: str, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.engine_python = engine_python
        self._process: Optional[QProcess] = None
        self._decoder = protocol.Decoder()
        self._held: list[bytes] = []
        self._next_id = 0
        self._ready = False
        self._expected_exit = False
        self._log: deque[str] = deque(maxlen=LOG_LINES)
        self._hello: dict[str, Any] = {}
        self._hello_timer = QTimer(self, singleShot=True)
        self._hello_timer.timeout.connect(self._no_hello)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def is_running(self) -> bool:
        return self._process is not None

    def process_id(self) -> int:
        """The engine's process id (0 when not running)."""
        return int(self._process.processId()) if self._process is not None else 0

    def log_tail(self, lines: int = 20) -> str:
        """The engine's last log lines, for a details box when something went wrong."""
        return "\n".join(list(self._log)[-lines:])

    def start(self) -> None:
        """Start the engine unless it is already running; ``ready`` follows when it is."""
        if self._process is not None:
            return
        self._decoder = protocol.Decoder()
        self._ready = False
        self._expected_exit = False
        self._log.clear()  # the last words of an engine before must not be blamed on this one
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._process_error)
        self._process = process
        log.info("starting %s -m %s", self.engine_python, WORKER_MODULE)
        process.start(self.engine_python, ["-m", WORKER_MODULE])
        self._hello_timer.start(round(self.hello_timeout_s * 1000))

    def _no_hello(self) -> None:
        if self._process is not None and not self._ready:
            self._fail_hard(-1, f"The dream engine did not start: it gave no sign of life within "
                                f"{self.hello_timeout_s:g} s ({self.engine_python} -m {WORKER_MODULE}).")

    def restart(self) -> None:
        """Stop the engine (if it still runs) and start a fresh one; held requests are dropped."""
        self._held.clear()
        self._kill()
        self.start()

    def shutdown(self) -> None:
        """Ask the engine to exit, waiting briefly; kill it if it does not."""
        process = self._process
        if process is None:
            return
        self._expected_exit = True
        if self._ready:
            process.write(protocol.encode(Message("shutdown", {"id": self._new_id()})))
            process.closeWriteChannel()
            if process.waitForFinished(SHUTDOWN_WAIT_MS):
                return
        self._kill()

    def _kill(self) -> None:
        process = self._process
        if process is None:
            return
        self._expected_exit = True
        process.kill()
        process.waitForFinished(SHUTDOWN_WAIT_MS)
        self._forget_process()

    def _forget_process(self) -> None:
        self._hello_timer.stop()
        if self._process is not None:
            self._process.deleteLater()
        self._process = None
        self._ready = False

    # --- requests ----------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send(self, kind: str, blobs: Optional[list[bytes]] = None, **fields: Any) -> int:
        request_id = self._new_id()
        frame = protocol.encode(Message(kind, dict(fields, id=request_id), blobs or []))
        if self._ready and self._process is not None:
            self._process.write(frame)
        else:
            self._held.append(frame)
            self.start()
        return request_id

    def list_models(self) -> int:
        return self._send("list_models")

    def request_layers(self, model: str) -> int:
        return self._send("layers", model=model)

    def request_labels(self, model: str) -> int:
        return self._send("labels", model=model)

    def pull_model(self, model: str) -> int:
        return self._send("pull_model", model=model)

    def dream(self, image: Image, mask: Optional[Mask], settings: DreamSettings, *, invert: bool = False,
              feather: float = 0.0, preview_size: int = protocol.PREVIEW_SIZE,
              preview_of: Optional[int] = None, result: str = protocol.BLENDED, by_alpha: bool = False,
              blended_too: bool = False) -> int:
        """Queue a dream; its id comes back on ``started``, ``progress``, ``result`` and friends.

        ``preview_of``: the longer side of the full picture when ``image`` is a reduced copy of it.
        ``result``, ``by_alpha``, ``blended_too``: the form of the result image (``dreamlayer.protocol``).
        """
        options = protocol.DreamOptions(settings, invert=invert, feather=feather, preview_size=preview_size,
                                        preview_of=preview_of, result=result, by_alpha=by_alpha,
                                        blended_too=blended_too)
        blobs: list[bytes] = []
        fields = options.fields()
        fields["image"] = protocol.image_field(image, blobs)
        if mask is not None:
            fields["mask"] = dict(protocol.mask_field(mask, blobs), **options.mask_options())
        return self._send("dream", blobs, **fields)

    def cancel(self, dream_id: int) -> None:
        """Stop a dream; it ends with ``cancelled`` (or its result, if it had just finished)."""
        if self._process is not None:
            self._send("cancel", target=dream_id)

    # --- replies -------------------------------------------------------------------------------

    def _read_stderr(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError()).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip():
                self._log.append(line)
                log.debug("%s", line)

    def _read_stdout(self) -> None:
        if self._process is None:
            return
        data = bytes(self._process.readAllStandardOutput())
        try:
            for message in self._decoder.feed(data):
                self._dispatch(message)
        except ProtocolError as exc:
            self._fail_hard(-1, f"The dream engine sent something unreadable ({exc}).")

    def _fail_hard(self, code: int, message: str) -> None:
        """The engine cannot be used: stop it and say why."""
        self._held.clear()
        self._kill()
        self.stopped.emit(code, message)

    def _dispatch(self, message: Message) -> None:
        request_id = message.get("id")
        kind = message.type
        if kind == "hello":
            self._on_hello(message)
        elif kind == "models":
            self.models.emit(message.get("models", []))
        elif kind == "layers":
            self.layers.emit(message["model"], message.get("layers", []), message.get("default") or "")
        elif kind == "labels":
            self.labels.emit(message["model"], message.get("labels", []))
        elif kind == "started":
            self.started.emit(request_id)
        elif kind == "progress":
            preview: Optional[QImage] = None
            if message.get("preview") is not None:
                preview = to_qimage(protocol.image_from(message, "preview"))
            self.progress.emit(request_id, message.fields, preview)
        elif kind == "result":
            fields = dict(message.fields)
            if fields.get("blended") is not None:
                fields["blended"] = protocol.image_from(message, "blended")
            self.result.emit(request_id, protocol.image_from(message), protocol.mask_from(message), fields)
        elif kind == "cancelled":
            self.cancelled.emit(request_id)
        elif kind == "error":
            self.failed.emit(request_id if isinstance(request_id, int) else -1, str(message.get("message")))
        elif kind == "pull_progress":
            self.pull_progress.emit(message["model"], int(message.get("done") or 0), int(message.get("total") or 0))
        elif kind == "pulled":
            self.pulled.emit(message["model"])
        elif kind != "bye":
            log.warning("ignoring unknown engine message %r", kind)

    def _on_hello(self, message: Message) -> None:
        version = message.get("protocol")
        if version != protocol.PROTOCOL_VERSION:
            self._fail_hard(MISCONFIGURED, f"The dream engine speaks protocol version {version}, but this "
                                           f"plugin speaks version {protocol.PROTOCOL_VERSION}. Reinstall "
                                           "dreamlayer so both match.")
            return
        first = not self._ready
        self._ready = True
        self._hello_timer.stop()
        self._hello = dict(message.fields)
        if first and self._process is not None:
            for frame in self._held:
                self._process.write(frame)
            self._held.clear()
        self.ready.emit(self._hello)

    def _finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        if self._process is None or self.sender() is not self._process:
            return
        self._read_stdout()
        self._read_stderr()
        expected = self._expected_exit
        self._forget_process()
        self._held.clear()
        if expected:
            return
        if exit_status == QProcess.ExitStatus.CrashExit:
            self.stopped.emit(exit_code, "The dream engine stopped unexpectedly (it was killed or crashed).")
            return
        last = self._log[-1].strip() if self._log else ""
        detail = f" It said: {last}" if last else ""
        self.stopped.emit(exit_code, f"The dream engine stopped unexpectedly (exit code {exit_code}).{detail}")

    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart or self._process is None or self.sender() is not self._process:
            return
        self._forget_process()
        self._held.clear()
        self.stopped.emit(MISCONFIGURED, f"The dream engine could not be started: {self.engine_python} is missing or "
                              f"cannot run. Run the dreamlayer installer again.")
