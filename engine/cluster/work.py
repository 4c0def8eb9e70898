"""What runs on a worker process: set up once, then dream the pictures the driver sends.

Workers are long-lived, and the registry keeps every network it loads, so the model is read and
built once per worker, not once per picture.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from .models import receive

_threads: Optional[int] = None


def prepare(threads: int, model: Optional[str] = None, data: Optional[bytes] = None) -> None:
    """Give torch this worker's share of the cores, and check ``model`` is here intact."""
    global _threads
    if _threads != threads:
        from .. import runtime

        runtime.configure()  # before torch loads, as the command line does
        import torch

        torch.set_num_threads(threads)
        _threads = threads
    if model is not None:
        receive(model, data)


def dream_bytes(name: str, data: bytes, suffix: str, settings: dict[str, Any], threads: int,
                weights: Optional[bytes]) -> tuple[bytes, dict[str, Any]]:
    """Dream the picture file ``data`` (named ``name`` for messages); the result encoded as ``suffix``.

    The picture goes through the same reader and writer as `dreamlayer dream`: bit depth, alpha
    and colour profile are kept.
    """
    from dreamlayer.settings import DreamSettings

    from ..deepdream import dream
    from ..errors import DreamError
    from ..imageio import Picture, read_image, write_image

    chosen = DreamSettings.from_dict(settings)
    prepare(threads, chosen.model, weights)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / ("input" + Path(name).suffix.lower())
        source.write_bytes(data)
        try:
            picture = read_image(source)
        except Exception as error:  # the reader's message names the temporary file: name the user's
            raise DreamError(str(error).replace(str(source), name)) from None
        result = dream(picture.rgb, chosen)
        target = Path(folder) / ("output" + suffix)
        write_image(target, Picture(result.image, None, picture.bits, False, None), original=picture)
        report = {**result.report(), "seconds_on_worker": time.perf_counter() - started}
        return target.read_bytes(), report
