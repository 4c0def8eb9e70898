"""The dream itself: gradient ascent on the image, octave by octave, with jitter, tiles and a mask."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from dreamlayer.objective import Sum, layer
from dreamlayer.settings import DreamSettings

from . import runtime
from .devices import resolve_device
from .errors import DreamCancelled, DreamError
from .memory import peak_gpu_bytes, peak_rss_bytes
from .models import registry
from .models.network import DreamNet
from .objectives import Scorer, compile_objective, parse
from .octaves import resize, schedule
from .region import as_xywh, dream_box, nothing_selected, paste
from .tensors import read_fitted, to_numpy, to_tensor
from .tiling import auto_tile, tiled_gradient, tiled_value

GUIDE_SIDE = 320  # guides are shrunk to about this size: features, not pixels, matter


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

    def report(self) -> dict:
        """The JSON-able summary written by --report."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("image", "unmasked")}
        data["objective_gain"] = self.objective_after - self.objective_before
        return data


def load_guide(path: Path) -> torch.Tensor:
    """A guide picture as a 1x3xHxW tensor, shrunk so its longer side is at most GUIDE_SIDE."""
    return read_fitted(path, GUIDE_SIDE, enlarge=False)


def build_objective(settings: DreamSettings, net: DreamNet) -> Scorer:
    """The settings' objective expression, or amplification of the chosen (or default) layers."""
    if settings.objective and settings.objective.strip():
        objective = parse(settings.objective)
    else:
        objective = Sum.of(tuple((1.0, layer(name)) for name in settings.layers or [net.spec.default_layer]))
    return compile_objective(objective, net, load_guide)


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


def _as_tensor(image: np.ndarray, mask: Optional[np.ndarray],
               device: torch.device) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    return to_tensor(image).to(device), None if mask is None else to_tensor(mask).to(device)


def _fit(picture: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """A preview of a smaller octave, at the size of the box it is pasted into."""
    size = (box[0].stop - box[0].start, box[1].stop - box[1].start)
    if picture.shape[:2] == size:
        return picture
    return to_numpy(resize(to_tensor(picture), size))


def evaluate(net: DreamNet, objective: Scorer, image: torch.Tensor, tile: int) -> float:
    """The objective on a whole image (tiled like the dream, no jitter), for before/after figures.

    Forward only: a third of what a step costs, which matters most for previews and big photos.
    """
    return tiled_value(image, lambda part: objective(net.activations(part, objective.layers)), tile)


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
    device = resolve_device(settings.device)
    net = registry.load(settings.model, device)
    objective = build_objective(settings, net)
    base, mask_t = _as_tensor(image, mask, device)
    height, width = base.shape[-2:]
    tile = auto_tile(settings.tile)
    generator = torch.Generator().manual_seed(settings.seed)

    def score(part: torch.Tensor) -> torch.Tensor:
        return objective(net.activations(part, objective.layers))

    before = evaluate(net, objective, base, tile)
    sizes = schedule(height, width, settings, longest, preview_of)
    total = len(sizes) * settings.steps
    detail = torch.zeros_like(resize(base, sizes[0]))
    step = 0
    picture = base
    for octave, size in enumerate(sizes):
        octave_base = resize(base, size)
        octave_mask = None if mask_t is None else resize(mask_t, size)
        picture = octave_base + resize(detail, size)
        for _ in range(settings.steps):
            dy, dx = (torch.randint(-settings.jitter, settings.jitter + 1, (2,), generator=generator).tolist()
                      if settings.jitter else (0, 0))
            grad, value = tiled_gradient(picture, score, tile, shift=(dy, dx))
            # in place, and the mean |gradient| without a temporary copy: at 12 MP every
            # picture-sized tensor is 144 MB, and fewer of them keep a big photo under 2 GiB
            grad.div_(torch.linalg.vector_norm(grad, 1).div_(grad.numel()).add_(1e-8))
            if octave_mask is not None:
                grad.mul_(octave_mask)
            picture.add_(grad, alpha=settings.step_size).clamp_(0, 1)
            del grad
            step += 1
            if progress is not None:
                keep_going = progress(Progress(step, total, octave, len(sizes), value,
                                               time.perf_counter() - started, partial(to_numpy, picture)))
                if keep_going is False:
                    raise DreamCancelled(f"cancelled at step {step} of {total}")
        if octave + 1 < len(sizes) or size != (height, width):
            detail = picture - octave_base
    if sizes[-1] != (height, width):  # a small picture dreamed enlarged: keep its own pixels, add the dream
        picture = (base + resize(detail, (height, width))).clamp_(0, 1)
    pure = to_numpy(picture) if unmasked else None
    if mask_t is not None:
        picture = torch.lerp(base, picture, mask_t)  # exactly ``base`` where the mask is 0
    after = evaluate(net, objective, picture, tile)
    return DreamResult(
        image=to_numpy(picture), objective=objective.name, objective_before=before, objective_after=after,
        seconds=time.perf_counter() - started, steps=total, peak_rss_bytes=peak_rss_bytes(),
        peak_gpu_bytes=peak_gpu_bytes(device), model=settings.model, layers=sorted(objective.layers),
        device=str(device), width=int(width), height=int(height), unmasked=pure)
