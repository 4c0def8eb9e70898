"""The editor-facing entry point: show the Dream dialog and hand back what the painter applied.

The engine process is shared by every dialog opened with the same engine Python and lives
until the application quits, so the model stays loaded between dreams.
"""
from __future__ import annotations

from typing import Optional

from .qt import QApplication, QWidget

from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import BLENDED

from .client import EngineClient
from .dialog import DreamDialog
from .outcome import Outcome

__all__ = ["dream_interactively", "engine_client", "Outcome"]

_clients: dict[str, EngineClient] = {}


def engine_client(engine_python: str) -> EngineClient:
    """The application's engine for ``engine_python``, created on first use and shut down at quit."""
    client = _clients.get(engine_python)
    if client is None:
        app = QApplication.instance()
        if app is None:
            raise RuntimeError("the Dream dialog needs a running Qt application")
        client = EngineClient(engine_python, parent=app)
        app.aboutToQuit.connect(client.shutdown)
        _clients[engine_python] = client
    return client


def dream_interactively(image: Image, mask: Optional[Mask], engine_python: str,
                        parent: Optional[QWidget] = None, colour: str = "",
                        greyscale: bool = False, result: str = BLENDED, by_alpha: bool = False) -> Optional[Outcome]:
    """Show the modal Dream dialog; the applied dream, or None if the painter cancelled or the
    engine failed (the dialog has told them why). The document is the caller's to change.
    ``colour``/``greyscale``: the document's colour space; ``result``/``by_alpha``: the form the
    editor wants the applied dream in; see :class:`DreamDialog`."""
    if mask is not None and (mask.width, mask.height) != (image.width, image.height):
        raise ValueError(f"the selection mask is {mask.width}x{mask.height} but the image is "
                         f"{image.width}x{image.height}")
    dialog = DreamDialog(engine_client(engine_python), image, mask, parent=parent, colour=colour,
                         greyscale=greyscale, result=result, by_alpha=by_alpha)
    try:
        dialog.exec_()
        return dialog.outcome
    finally:
        dialog.deleteLater()
