"""A model download for the editor: progress while the ``.part`` file grows, and an end it
always hears (``pulled`` or ``error``), whatever goes wrong."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

from .errors import DreamError, engine_failure

log = logging.getLogger("dreamlayer.worker")
POLL_S = 0.25
Send = Callable[..., None]


def pull(send: Send, registry: Any, request_id: Optional[int], model: str, spec: Any) -> None:
    """Download on the calling thread; every failure, whatever its kind, ends in an ``error`` reply."""
    from dreamlayer.engine.download import DownloadError

    try:
        _download(send, registry, request_id, model, spec)
    except (DownloadError, DreamError) as exc:
        send("error", id=request_id, message=f"Could not download {model}: {exc}")
    except OSError as exc:  # the cache folder cannot be made or written
        where = f" {exc.filename}" if exc.filename else ""
        send("error", id=request_id, message=f"Could not download {model}: cannot write{where}: {exc.strerror or exc}")
    except Exception as exc:  # a bug or a library failure: the editor must still hear the end
        log.exception("pulling %s failed", model)
        send("error", id=request_id, message=f"Could not download {model}: {engine_failure(exc)}")
    else:
        send("pull_progress", id=request_id, model=model, done=spec.weights.size, total=spec.weights.size)
        send("pulled", id=request_id, model=model)


def _download(send: Send, registry: Any, request_id: Optional[int], model: str, spec: Any) -> None:
    """Download, reporting the growing ``.part`` file as progress."""
    from dreamlayer.engine.cache import models_dir
    from dreamlayer.engine.download import part_path

    finished = threading.Event()
    part = part_path(models_dir() / spec.weights.filename)

    def report() -> None:
        while not finished.wait(POLL_S):
            try:
                done = part.stat().st_size
            except OSError:  # not there yet, or just renamed onto the weight file
                done = 0
            send("pull_progress", id=request_id, model=model, done=done, total=spec.weights.size)

    reporter = threading.Thread(target=report, name="pull-progress", daemon=True)
    reporter.start()
    try:
        registry.pull(model, progress=False)
    finally:
        finished.set()
        reporter.join()
