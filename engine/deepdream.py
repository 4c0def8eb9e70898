"""The dream itself: gradient ascent on the image, octave by octave, with jitter, tiles and a mask."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Optional

import numpy as np

from dreamlayer.settings import DreamSettings

from . import runtime
from .backends import Backend, open_backend
from .errors import DreamCancelled, DreamError
from .jitter import shifts
from .memory import peak_rss_bytes
from .octaves import resize, schedule
from .region import as_xywh, dream_box, nothing_selected, paste
from .tiling import auto_tile, tiled_gradient, tiled_value


@dataclass
class Progress:
    """Sent after every step; ``preview()`` renders the current picture (costs a copy)."""

    step: int
    total: int
    octave: int
    octaves: int
    objective: float
    elapsed: float
    _render: Callable[[], np.ndarray] = field(repr=False)

    def preview(self) -> np.ndarray:
        return self._render()


@dataclass
class DreamResult:
    image: np.ndarray  # float32 HxWx3 in [0, 1]
    objective: str
    objective_before: float
    objective_after: float
    seconds: float
    steps: int
    peak_rss_bytes: int
    peak_gpu_bytes: int
    model: str
    layers: list[str]
    device: str
    width: int
    height: int
    region: Optional[tuple[int, int, int, int]] = None  # x, y, w, h dreamed (and scored) when not all of it
    # The dream before the mask mixed it with the input (asked for with ``unmasked=True``): an
    # editor masks its layer itself and needs the pure dream, not one to unmix.
    unmasked: Optional[np.ndarray] = None
    backend: str = "torch"  # which library computed the gradients

    def report(self) -> dict:
        """The JSON-able summary written by --report."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("image", "unmasked")}
        data["objective_gain"] = self.objective_after - self.objective_before
        return data


def check_settings(settings: DreamSettings) -> None:
    """The first problem of the settings (dreamlayer.settings.LIMITS) as a DreamError."""
    problems = settings.problems()
    if problems:
        raise DreamError(problems[0])


def _check_input(image: np.ndarray, mask: Optional[np.ndarray]) -> None:
    if image.ndim != 3 or image.shape[2] != 3:
        raise DreamError(f"expected an HxWx3 RGB image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise DreamError(f"the image is {image.shape[1]}x{image.shape[0]} pixels: there is nothing to dream on")
    if mask is not None and mask.shape != image.shape[:2]:
        raise DreamError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                         f"{image.shape[1]}x{image.shape[0]}")
    if mask is not None and nothing_selected(mask):
        raise DreamError("the mask is black everywhere, so there is nothing to dream (white areas are dreamed)")


def _planar(picture: np.ndarray) -> np.ndarray:
    """An H x W x C picture as the loop's 1 x C x H x W float32 array."""
    array = np.asarray(picture, dtype=np.float32)
    return np.ascontiguousarray((array[..., None] if array.ndim == 2 else array).transpose(2, 0, 1)[None])


def _picture(planar: np.ndarray) -> np.ndarray:
    """The loop's array as an H x W x 3 float32 picture in [0, 1] (a copy)."""
    return np.ascontiguousarray(np.clip(planar[0].transpose(1, 2, 0), 0, 1))


def _mean_abs(array: np.ndarray, rows: int = 64) -> float:
    """The mean absolute value, a band of rows at a time: no picture-sized temporary (144 MB at 12 MP)."""
    total = sum(float(np.abs(array[:, :, y:y + rows]).sum(dtype=np.float64))
                for y in range(0, array.shape[2], rows))
    return total / array.size


def _mix(base: np.ndarray, dreamed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``base`` exactly where the mask is 0, ``dreamed`` where it is 1, in between elsewhere;
    computed in ``dreamed``'s memory (no picture-sized temporary)."""
    dreamed -= base
    dreamed *= mask
    dreamed += base
    return dreamed


def _fit(picture: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """A preview of a smaller octave, at the size of the box it is pasted into."""
    size = (box[0].stop - box[0].start, box[1].stop - box[1].start)
    if picture.shape[:2] == size:
        return picture
    return _picture(resize(_planar(picture), size))


def evaluate(backend: Backend, image: np.ndarray, tile: int) -> float:
    """The objective on a whole image (tiled like the dream, no jitter), for before/after figures.

    Forward only: a third of what a step costs, which matters most for previews and big photos.
    """
    return tiled_value(image, backend.value, tile, backend.lanes)


def dream(image: np.ndarray, settings: DreamSettings, *, mask: Optional[np.ndarray] = None,
          progress: Optional[Callable[[Progress], Optional[bool]]] = None,
          preview_of: Optional[int] = None, unmasked: bool = False) -> DreamResult:
    """Dream on an RGB image in [0, 1]; where ``mask`` is 0 the result equals the input exactly.

    With a mask only its box and some context around it is dreamed (see ``region``), so the
    cost follows the selection, not the picture. ``progress`` is called after every step;
    returning False cancels (DreamCancelled). ``preview_of``: the longer side of the full-size
    picture when ``image`` is a reduced copy of it, so the preview grows what Apply will.
    ``unmasked``: also keep the dream before the mask mixed it in (``DreamResult.unmasked``).
    """
    _check_input(image, mask)
    check_settings(settings)
    box = dream_box(mask)
    try:
        longest = max(image.shape[:2])  # octaves are sized relative to the whole picture
        if box is None or mask is None:  # no mask gives no box
            return _dream(image, settings, mask, progress, longest, preview_of, unmasked)
        in_whole = None if progress is None else (  # previews show the whole picture
            lambda report: progress(replace(report, _render=lambda: paste(image, box, _fit(report.preview(), box)))))
        result = _dream(image[box], settings, mask[box], in_whole, longest, preview_of, unmasked)
        return replace(result, image=paste(image, box, result.image), width=image.shape[1],
                       height=image.shape[0], region=as_xywh(box),
                       unmasked=None if result.unmasked is None else paste(image, box, result.unmasked))
    finally:
        runtime.release_memory()


def _dream(image: np.ndarray, settings: DreamSettings, mask: Optional[np.ndarray],
           progress: Optional[Callable[[Progress], Optional[bool]]], longest: int,
           preview_of: Optional[int], unmasked: bool = False) -> DreamResult:
    started = time.perf_counter()
    backend = open_backend(settings)
    base = _planar(image)
    mask_p = None if mask is None else _planar(mask)
    height, width = base.shape[-2:]
    tile = auto_tile(settings.tile)
    jitter = shifts(settings.seed, settings.jitter)

    sizes = schedule(height, width, settings, longest, preview_of)
    total = len(sizes) * settings.steps
    detail = np.zeros_like(resize(base, sizes[0]))
    step = 0
    picture = base
    for octave, size in enumerate(sizes):
        octave_base = resize(base, size)
        octave_mask = None if mask_p is None else resize(mask_p, size)
        picture = octave_base + resize(detail, size)
        for _ in range(settings.steps):
            grad, value = tiled_gradient(picture, backend.gradient, tile, shift=next(jitter), lanes=backend.lanes)
            # in place: at 12 MP every picture-sized array is 144 MB, and fewer of them keep a big
            # photo under 2 GiB
            grad *= settings.step_size / (_mean_abs(grad) + 1e-8)
            if octave_mask is not None:
                grad *= octave_mask
            picture += grad
            np.clip(picture, 0, 1, out=picture)
            del grad
            step += 1
            if progress is not None:
                keep_going = progress(Progress(step, total, octave, len(sizes), value,
                                               time.perf_counter() - started, partial(_picture, picture)))
                if keep_going is False:
                    raise DreamCancelled(f"cancelled at step {step} of {total}")
        if octave + 1 < len(sizes) or size != (height, width):
            detail = picture - octave_base
    if sizes[-1] != (height, width):  # a small picture dreamed enlarged: keep its own pixels, add the dream
        picture = np.clip(base + resize(detail, (height, width)), 0, 1)
    pure = _picture(picture) if unmasked else None
    if mask_p is not None:
        picture = _mix(base, picture, mask_p)
    # the figure before is taken after the dream: the same number, but the first step comes a whole-picture
    # forward sooner (seconds at 12 MP), and a cancelled dream never pays for it
    before = evaluate(backend, base, tile)
    after = evaluate(backend, picture, tile)
    return DreamResult(
        image=_picture(picture), objective=backend.objective.text(), objective_before=before, objective_after=after,
        seconds=time.perf_counter() - started, steps=total, peak_rss_bytes=peak_rss_bytes(),
        peak_gpu_bytes=backend.peak_gpu_bytes(), model=settings.model, layers=backend.layers,
        device=backend.device, width=int(width), height=int(height), unmasked=pure,
        backend=backend.name)
