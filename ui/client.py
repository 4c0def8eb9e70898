"""The editor's side of the engine: starts or reaches it, speaks the protocol, reports through signals.

The engine is a process on this computer or a ``dreamlayer serve`` elsewhere (see
:mod:`.transport`); the conversation is the same. Everything is asynchronous (Qt signals), so
the editor's UI never waits on the engine. Requests made while the engine is still starting are
held and sent once it has said hello with the right protocol version.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Any, Optional

from .qt import QImage, QObject, QTimer, pyqtSignal

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import Message, ProtocolError
from dreamlayer.settings import DreamSettings

from .qimage import to_qimage
from .transport import MISCONFIGURED, WORKER_MODULE, Link, ProcessLink, Remote, SocketLink

__all__ = ["EngineClient", "MISCONFIGURED", "WORKER_MODULE"]
log = logging.getLogger("dreamlayer.engine")
LOG_LINES = 200
SHUTDOWN_WAIT_MS = 3000


class EngineClient(QObject):
    """One engine, kept running (or connected) between dreams so its models stay loaded."""

    ready = pyqtSignal(dict)  # the engine's hello
    models = pyqtSignal(list)  # [{name, description, size_bytes, installed, path, downloadable}]
    layers = pyqtSignal(str, list, str)  # model, [{name, channels, stride, hint}], default layer
    labels = pyqtSignal(str, list)  # model, class names
    started = pyqtSignal(int)  # dream id
    queued = pyqtSignal(int, int)  # dream id, dreams ahead of it
    progress = pyqtSignal(int, dict, object)  # dream id, progress fields, QImage preview or None
    # dream id, pixels.Image (in the form asked), pixels.Mask used or None, fields ("blended": a pixels.Image if
    # asked; "region": the pixels.Bounds a mask kept the dream to, or None)
    result = pyqtSignal(int, object, object, dict)
    cancelled = pyqtSignal(int)  # dream id
    failed = pyqtSignal(int, str)  # request id (-1 if none), one-line message
    pull_progress = pyqtSignal(str, int, int)  # model, bytes done, bytes total (0 = unknown)
    pulled = pyqtSignal(str)  # model
    stopped = pyqtSignal(int, str)  # exit code (-1 if it never ran, MISCONFIGURED), plain words for the painter

    hello_timeout_s = 60.0  # the engine says hello before loading any model: seconds at most, even on a busy machine

    def __init__(self, engine_python: str, parent: Optional[QObject] = None, remote: Optional[Remote] = None) -> None:
        """``remote``: a ``dreamlayer serve`` to use instead of starting ``engine_python``."""
        super().__init__(parent)
        self.engine_python = engine_python
        self.remote = remote
        self._link: Optional[Link] = None
        self._decoder = protocol.Decoder()
        self._held: list[bytes] = []
        self._next_id = 0
        self._ready = False
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
        return self._link is not None

    @property
    def hello(self) -> dict[str, Any]:
        """The running engine's hello (where it runs, its version), empty until ready."""
        return dict(self._hello) if self._ready else {}

    def process_id(self) -> int:
        """The engine's process id on this computer (0 when not running or remote)."""
        return self._link.pid() if self._link is not None else 0

    def use(self, remote: Optional[Remote]) -> None:
        """Switch to ``remote`` (None: the engine on this computer); a running engine that is
        not that one is let go and the new one started, ``ready`` or ``stopped`` following."""
        if remote == self.remote:
            return
        self.remote = remote
        if self._link is not None:
            self.restart()

    def log_tail(self, lines: int = 20) -> str:
        """The engine's last log lines, for a details box when something went wrong."""
        return "\n".join(list(self._log)[-lines:])

    def start(self) -> None:
        """Start (or connect to) the engine unless it is already running; ``ready`` follows when it is."""
        if self._link is not None:
            return
        self._decoder = protocol.Decoder()
        self._ready = False
        self._log.clear()  # the last words of an engine before must not be blamed on this one
        link: Link = SocketLink(self.remote, self) if self.remote is not None else ProcessLink(self.engine_python, self)
        link.received.connect(self._receive)
        link.said.connect(self._said)
        link.ended.connect(self._ended)
        self._link = link
        link.open()
        self._hello_timer.start(round(self.hello_timeout_s * 1000))

    def _no_hello(self) -> None:
        if self._link is not None and not self._ready:
            self._fail_hard(-1, f"The dream engine did not start: it gave no sign of life within "
                                f"{self.hello_timeout_s:g} s ({self._link.name}).")

    def restart(self) -> None:
        """Stop the engine (if it still runs) and start a fresh one; held requests are dropped."""
        self._held.clear()
        self._kill()
        self.start()

    def shutdown(self) -> None:
        """Ask the engine to exit (a remote one: to end this conversation), waiting briefly; else kill it."""
        link = self._link
        if link is None:
            return
        if self._ready and link.close_gracefully(protocol.encode(Message("shutdown", {"id": self._new_id()})),
                                                 SHUTDOWN_WAIT_MS):
            self._forget_link()
            return
        self._kill()

    def _kill(self) -> None:
        """End the engine; anything it still says while going is ignored (the link is let go first)."""
        link = self._link
        if link is not None:
            self._forget_link()
            link.kill()

    def _forget_link(self) -> None:
        self._hello_timer.stop()
        if self._link is not None:
            self._link.deleteLater()
        self._link = None
        self._ready = False

    # --- requests ----------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send(self, kind: str, blobs: Optional[list[bytes]] = None, **fields: Any) -> int:
        request_id = self._new_id()
        deflate = self.remote is not None and self.remote.deflate
        frame = protocol.encode(Message(kind, dict(fields, id=request_id), blobs or []), deflate)
        if self._ready and self._link is not None:
            self._link.write(frame)
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
        if self._link is not None:
            self._send("cancel", target=dream_id)

    # --- replies -------------------------------------------------------------------------------

    def _said(self, line: str) -> None:
        self._log.append(line)
        log.debug("%s", line)

    def _receive(self, data: bytes) -> None:
        if self._link is None or self.sender() is not self._link:
            return
        try:
            for message in self._decoder.feed(data):
                self._dispatch(message)
                if self._link is None:  # the message ended this engine (a refusal, a wrong version)
                    return
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
        elif kind == "queued":
            self.queued.emit(request_id, int(message.get("ahead") or 0))
        elif kind == "progress":
            preview: Optional[QImage] = None
            if message.get("preview") is not None:
                preview = to_qimage(protocol.image_from(message, "preview"))
            self.progress.emit(request_id, message.fields, preview)
        elif kind == "result":
            fields = dict(message.fields)
            if fields.get("blended") is not None:
                fields["blended"] = protocol.image_from(message, "blended")
            fields["region"] = protocol.region_from(fields)
            self.result.emit(request_id, protocol.image_from(message), protocol.mask_from(message), fields)
        elif kind == "cancelled":
            self.cancelled.emit(request_id)
        elif kind == "error" and not self._ready:  # refused before hello: a remote engine's wrong token
            self._fail_hard(MISCONFIGURED, str(message.get("message")) + " Check the token under Engine.")
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
        if first and self._link is not None:
            if self.remote is not None and self.remote.deflate:
                self._link.write(protocol.encode(Message("deflate", {"id": self._new_id(), "on": True})))
            for frame in self._held:
                self._link.write(frame)
            self._held.clear()
        self.ready.emit(self._hello)

    def _ended(self, code: int, message: str) -> None:
        if self._link is None or self.sender() is not self._link:
            return
        self._forget_link()
        self._held.clear()
        self.stopped.emit(code, message)
