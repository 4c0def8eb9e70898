"""The Dream command: read the document, run the dialog, apply what it returns."""
from __future__ import annotations

from typing import Any, Callable, Optional

from dreamlayer.plugin.krita.adapter import KritaAdapterError, describe, read_source
from dreamlayer.plugin.krita.apply import Steps, apply_dream
from dreamlayer.plugin.krita.host import Application, Document

Dialog = Callable[..., Any]


def dream_on_document(app: Application, document: Document, engine_python: str, *, composite: bool = False,
                      parent: Any = None, dialog: Optional[Dialog] = None) -> Optional[Steps]:
    """Dream on the active layer (or the visible composite).

    Returns the steps that add the layer (see ``apply.run_steps``), or None if the painter
    cancelled.
    """
    source = read_source(app, document, composite)
    if dialog is None:
        from dreamlayer.ui.session import dream_interactively
        dialog = dream_interactively
    outcome = dialog(source.image, source.mask, engine_python, parent, colour=describe(source.space),
                     greyscale=source.space.model == "GRAYA", result=source.result, by_alpha=source.over_layers)
    if outcome is None:
        return None
    if outcome.result != source.result:
        raise KritaAdapterError(f"The dream came back as {outcome.result!r} where {source.result!r} was asked for.")
    return apply_dream(app, document, source, outcome.image, outcome.mask, outcome.layer_name, outcome.region)
