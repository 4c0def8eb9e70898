"""The dream engine process: ``<engine python> -m dreamlayer.engine.worker``.

Editors' Pythons have no torch, so the dialog starts this process from the engine's own
Python and talks to it with :mod:`dreamlayer.protocol` over stdin/stdout (stderr is the
log). It stays up between dreams so loaded models stay in memory. Dreams run one at a time
on a worker thread while the main thread keeps reading requests, so ``cancel`` is seen
during a dream and takes effect at the next step.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import platform
import sys
import threading
import time
from typing import Any, BinaryIO, Callable, Optional

from dreamlayer import __version__, protocol
from dreamlayer.pixels import Image
from dreamlayer.protocol import Message, ProtocolError
from dreamlayer.quick_exit import run_then_exit

from . import runtime
from .dream_line import DreamJob, DreamLine
from .cli import backend_arguments
from .dream_request import DreamRequest, read_dream_request
from .errors import BadRequest, engine_failure
from .pull_job import pull
from .time_left import TimeLeft
from .wire import difference_layer, float_to_bytes, image_to_float, preview_image

log = logging.getLogger("dreamlayer.worker")


def _finite(value: Any) -> Optional[float]:
    """JSON has no NaN or infinity; an objective that blew up is sent as null."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _layer_entry(model: str, info: Any, thumbnails: bool = True) -> dict[str, Any]:
    """A layer for the ``layers`` reply, with the paths of its atlas pictures painted so far
    (unless ``thumbnails`` is false: for an editor on another machine, where they are no files)."""
    entry: dict[str, Any] = {"name": info.name, "channels": info.channels, "stride": info.stride, "hint": info.hint}
    from dreamlayer.engine.backends import torch_installed

    if not thumbnails or not torch_installed():  # the atlas paints with torch: without it there are none
        return entry
    from dreamlayer.engine.visualize.atlas import atlas_thumbnail

    whole = atlas_thumbnail(model, info.name, None)
    if whole is not None:
        entry["thumbnail"] = str(whole)
    channels = {str(c): str(path) for c in range(info.channels)
                if (path := atlas_thumbnail(model, info.name, c)) is not None}
    if channels:
        entry["channel_thumbnails"] = channels
    return entry


class Outbox:
    """Frames to the editor; one lock so the dream thread and the main thread never interleave.
    ``deflate``: large blobs are deflated (the editor asks for it on a slow network, see ``protocol``)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.deflate = False
        self.closed = False

    def close(self) -> None:
        """Send nothing more (the connection is going away)."""
        with self._lock:
            self.closed = True

    def send(self, kind: str, blobs: Optional[list[bytes]] = None, **fields: Any) -> None:
        """Send a frame; once the editor has gone away, sending does nothing."""
        try:
            frame = protocol.encode(Message(kind, fields, blobs or []), self.deflate)
        except (TypeError, ValueError) as exc:  # a field JSON cannot carry: say so rather than die
            log.error("cannot send %s: %s", kind, exc)
            frame = protocol.encode(Message("error", {"id": None, "message": engine_failure(exc)}))
        with self._lock:
            if self.closed:
                return
            try:
                self._stream.write(frame)
                self._stream.flush()
            except OSError as exc:
                self.closed = True
                log.info("the editor stopped listening (%s)", exc)


class Worker:
    """Answers one editor's requests; dreams on the line's thread, downloads on others.

    ``line``: the dreams of every editor of a ``dreamlayer serve`` (it outlives this worker);
    without one, the worker has a line of its own. ``remote``: the editor is on another
    machine (the hello says where the engine dreams; layer thumbnails, local paths, are left out).
    ``backend``, ``providers``: for requests whose settings leave them to the engine ("auto", none).
    """

    def __init__(self, outbox: Outbox, line: Optional[DreamLine] = None, remote: bool = False,
                 backend: str = "auto", providers: Optional[list[str]] = None) -> None:
        from dreamlayer.engine import DreamCancelled, DreamError, catalogue, dream

        self.out = outbox
        self._dream, self._cancelled, self._dream_error = dream, DreamCancelled, DreamError
        self.catalogue = catalogue
        self.backend, self.providers = backend, providers or []
        self.remote = remote
        self._own_line = line is None
        self._line = line or DreamLine()
        self._active: dict[int, DreamJob] = {}
        self._active_lock = threading.Lock()
        self._handlers: dict[str, Callable[[Message], None]] = {
            "hello": self._hello, "list_models": self._list_models, "layers": self._layers,
            "labels": self._labels, "dream": self._queue_dream, "cancel": self._cancel,
            "pull_model": self._pull_model, "deflate": self._deflate,
        }

    def hello(self, request_id: Optional[int] = None) -> None:
        where: dict[str, Any] = {"host": platform.node(), "device": _device_words(), "remote": True} \
            if self.remote else {}
        self.out.send("hello", id=request_id, protocol=protocol.PROTOCOL_VERSION, engine=__version__,
                      python=platform.python_version(), pid=os.getpid(), **where)

    def serve(self, stdin: BinaryIO, max_blobs: int = protocol.MAX_BLOBS) -> int:
        """Read requests until shutdown or end of input; the exit code for the process."""
        code = 0
        try:
            while True:
                message = protocol.read_message(stdin, max_blobs=max_blobs)
                if message is None:
                    log.info("the editor closed the pipe; exiting")
                    break
                if message.type == "shutdown":
                    self._stop()
                    self.out.send("bye", id=message.get("id"))
                    return 0
                self._handle(message)
        except ProtocolError as exc:
            self.out.send("error", id=None, message=f"The engine received a garbled request ({exc}).")
            code = 3
        self._stop()
        return code

    def _stop(self) -> None:
        with self._active_lock:
            for job in self._active.values():
                job.cancel.set()
        if self._own_line:
            self._line.close()

    def _handle(self, message: Message) -> None:
        request_id = message.get("id")
        handler = self._handlers.get(message.type)
        try:
            if handler is None:
                raise BadRequest(f"unknown request {message.type!r}")
            handler(message)
        except (BadRequest, ProtocolError, self._dream_error) as exc:
            self.out.send("error", id=request_id, message=str(exc))
        except Exception as exc:  # a bug or a library failure: keep serving, tell the painter, log it all
            log.exception("%s request failed", message.type)
            self.out.send("error", id=request_id, message=engine_failure(exc))

    def _model_name(self, message: Message) -> str:
        model = message.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest(f"{message.type} needs a model name")
        return model

    def _deflate(self, message: Message) -> None:
        self.out.deflate = bool(message.get("on"))

    def _hello(self, message: Message) -> None:
        self.hello(message.get("id"))

    def _list_models(self, message: Message) -> None:
        models = [{"name": m.name, "description": m.description, "size_bytes": m.size_bytes,
                   "installed": m.installed, "path": m.path, "downloadable": m.downloadable,
                   "backends": list(m.backends)}
                  for m in self.catalogue.list_models()]
        self.out.send("models", id=message.get("id"), models=models)

    def _layers(self, message: Message) -> None:
        model = self._model_name(message)
        layers = [_layer_entry(model, info, not self.remote) for info in self.catalogue.layer_infos(model)]
        self.out.send("layers", id=message.get("id"), model=model, layers=layers,
                      default=self.catalogue.default_layer(model))

    def _labels(self, message: Message) -> None:
        model = self._model_name(message)
        self.out.send("labels", id=message.get("id"), model=model, labels=self.catalogue.labels(model))

    def _queue_dream(self, message: Message) -> None:
        job_id = message.get("id")
        if not isinstance(job_id, int):
            raise BadRequest("a dream request needs an integer id")
        job = DreamJob(job_id, message, self._run_job,
                       lambda ahead: self.out.send("queued", id=job_id, ahead=ahead))
        with self._active_lock:
            self._active[job_id] = job
        self._line.put(job)

    def _cancel(self, message: Message) -> None:
        with self._active_lock:
            job = self._active.get(message.get("target"))
        if job is not None:
            job.cancel.set()

    def _pull_model(self, message: Message) -> None:
        from dreamlayer.engine.backends import torch_installed

        model = self._model_name(message)
        if not torch_installed():
            raise BadRequest(f"this engine has no torch, so it cannot download {model}'s weights; "
                             "import an ONNX graph of it instead (dreamlayer models import FILE.onnx)")
        from dreamlayer.engine.models import registry

        spec = registry.get(model)
        threading.Thread(target=pull, args=(self.out.send, registry, message.get("id"), model, spec), name="pull",
                         daemon=True).start()

    def _run_job(self, job: DreamJob) -> None:
        try:
            self._run(job)
        finally:
            with self._active_lock:
                self._active.pop(job.id, None)

    def _run(self, job: DreamJob) -> None:
        if job.cancel.is_set():
            self.out.send("cancelled", id=job.id)
            return
        self.out.send("started", id=job.id)
        try:
            self._dream_job(job)
        except self._cancelled:
            self.out.send("cancelled", id=job.id)
        except (BadRequest, ProtocolError, self._dream_error) as exc:
            self.out.send("error", id=job.id, message=str(exc))
        except MemoryError:
            self.out.send("error", id=job.id, message="The engine ran out of memory; try a smaller area, "
                                                      "fewer octaves or a smaller tile.")
        except Exception as exc:  # a bug or a library failure: keep serving, tell the painter, log it all
            log.exception("dream %s failed", job.id)
            self.out.send("error", id=job.id, message=engine_failure(exc))

    def _dream_job(self, job: DreamJob) -> None:
        request = read_dream_request(job.request)
        image, settings, weights = request.image, request.settings, request.weights
        if settings.backend == "auto":
            settings = dataclasses.replace(settings, backend=self.backend)
        if not settings.providers:
            settings = dataclasses.replace(settings, providers=self.providers)
        eta = TimeLeft(settings.octave_scale)
        last_preview = [-math.inf]

        def on_progress(p: Any) -> bool:
            if job.cancel.is_set() or self.out.closed:
                return False
            now = time.monotonic()
            blobs: list[bytes] = []
            fields: dict[str, Any] = {}
            if now - last_preview[0] >= request.options.preview_seconds:
                picture = preview_image(p.preview(), request.options.preview_size)
                fields["preview"] = protocol.image_field(picture, blobs)
                last_preview[0] = time.monotonic()
            self.out.send("progress", blobs, id=job.id, step=p.step, total=p.total, octave=p.octave,
                          octaves=p.octaves, objective=_finite(p.objective), elapsed=_finite(p.elapsed),
                          eta=eta.update(p.step, p.total, p.octaves, now), **fields)
            return not (job.cancel.is_set() or self.out.closed)

        log.info("dream %s: %dx%d, %s", job.id, image.width, image.height, settings)
        result = self._dream(image_to_float(image), settings, mask=weights, progress=on_progress,
                             preview_of=request.options.preview_of, unmasked=request.options.result != protocol.BLENDED)
        blobs: list[bytes] = []
        extra: dict[str, Any] = {}
        if request.options.result != protocol.BLENDED and request.options.blended_too:
            extra["blended"] = protocol.image_field(result_image(request, result, protocol.BLENDED), blobs)
        self.out.send("result", blobs, id=job.id,
                      image=protocol.image_field(result_image(request, result, request.options.result), blobs),
                      result=request.options.result,
                      mask=None if request.mask is None else protocol.mask_field(request.mask, blobs),
                      region=None if result.region is None else list(result.region),
                      objective_before=_finite(result.objective_before),
                      objective_after=_finite(result.objective_after), seconds=_finite(result.seconds),
                      steps=result.steps, model=result.model, layers=list(result.layers),
                      objective=result.objective, device=result.device, **extra)


def _device_words() -> str:
    """Where ``auto`` dreams on this machine, in words for the painter ("cuda (NVIDIA H200)")."""
    import torch

    from .devices import resolve_device

    device = resolve_device("auto")
    return f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else device.type


def result_image(request: DreamRequest, result: Any, form: str) -> Image:
    """The dream in the form asked for (see ``protocol``): mixed into the input by the mask, as
    dreamed (the editor masks it), or as a difference layer (opaque); otherwise alpha is the input's."""
    image = request.image
    if form == protocol.BLENDED:
        keep = None if request.weights is None else request.weights == 0
        data = float_to_bytes(result.image, image, keep)
    else:
        dream = result.image if result.unmasked is None else result.unmasked
        data = float_to_bytes(dream, image) if form == protocol.LAYER else \
            difference_layer(image, dream, request.options.by_alpha)
    return Image(image.width, image.height, data, image.depth)


def _claim_stdout() -> BinaryIO:
    """Keep the real stdout for frames and point fd 1 at stderr, so a stray print from any
    library (or C code) lands in the log instead of corrupting the stream."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return frames


def main(argv: Optional[list[str]] = None) -> int:
    runtime.configure()
    parser = argparse.ArgumentParser(prog="python -m dreamlayer.engine.worker",
                                     description="The engine process an editor's dialog talks to over stdin/stdout.")
    backend_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="dreamlayer.worker: %(message)s")
    outbox = Outbox(_claim_stdout())
    worker = Worker(outbox, backend=args.backend, providers=args.providers)
    worker.hello()
    return worker.serve(sys.stdin.buffer)


if __name__ == "__main__":
    sys.exit(run_then_exit(main))
