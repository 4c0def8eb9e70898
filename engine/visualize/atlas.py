"""Layer atlases: what each channel of a layer responds to, painted once and cached on disk.

Every picture is a PNG under ``cache_dir()/atlas/MODEL/LAYER/`` named by channel and a hash of
the settings, so the dialog can show thumbnails later (``atlas_thumbnail``) without a network.
Each channel is painted on its own, from its own start noise, on either backend (torch or ONNX
Runtime): a channel's picture does not depend on which channels were asked for with it.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
from PIL import Image

from dreamlayer import objective
from .. import catalogue
from ..backends import Backend
from ..cache import cache_dir
from ..errors import DreamError
from ..files import replacing
from .param import image_param
from .render import render
from .sheet import contact_sheet, to_pil
from .api import open_for
from .settings import AtlasSettings, VisualizeSettings
from .transforms import standard

VERSION = 2  # bump when the rendering changes, so stale cached pictures are not reused (2: the numpy loop)


def _key(model: str, layer: str, channel: Optional[int], settings: AtlasSettings) -> str:
    text = json.dumps({"v": VERSION, "model": model, "layer": layer, "channel": channel, **asdict(settings)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def atlas_dir(model: str) -> Path:
    """The folder of a model's cached atlas pictures."""
    return cache_dir() / "atlas" / model


def cache_path(model: str, layer: str, channel: Optional[int], settings: AtlasSettings = AtlasSettings()) -> Path:
    """Where the picture of ``channel`` (None: the whole layer) is kept; it may not exist yet."""
    name = "all" if channel is None else str(channel)
    return atlas_dir(model) / layer / f"{name}-{_key(model, layer, channel, settings)}.png"


def atlas_thumbnail(model: str, layer: str, channel: Optional[int], size: int = AtlasSettings.size) -> Optional[Path]:
    """The cached picture of a channel (None: the whole layer) at ``size`` px with default settings, if painted."""
    path = cache_path(model, layer, channel, AtlasSettings(size=size))
    return path if path.is_file() else None


def parse_channels(text: str, count: int) -> list[int]:
    """'0-63', '5' or '0,3,8-11' as channel numbers, checked against the layer's ``count``."""
    channels: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise DreamError(f"bad channel list {text!r}: use forms like 0-63 or 0,3,8-11")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise DreamError(f"bad channel range {part.strip()!r}: the end comes before the start")
        channels += range(first, last + 1)
    bad = [c for c in channels if c >= count]
    if bad:
        raise DreamError(f"channel {bad[0]} out of range: this layer has channels 0..{count - 1}")
    return list(dict.fromkeys(channels))


def _paint(backend: Backend, seed: int, settings: AtlasSettings) -> np.ndarray:
    """One picture (3 x H x W) of ``backend``'s objective, from the start noise of ``seed``."""
    param = image_param(settings.size, settings.size, kind=settings.param, decorrelate=settings.decorrelate,
                        rng=np.random.default_rng(seed))
    return render(backend, param, steps=settings.steps, lr=settings.lr,
                  transforms=standard(settings.size, settings.transforms), rng=np.random.default_rng(settings.seed))


def _save(image: np.ndarray, path: Path) -> None:
    """Write a 3 x H x W picture atomically, so a cancelled run never leaves half a file in the cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary:
        to_pil(image.transpose(1, 2, 0)).save(temporary, "PNG")


def _backend(model: str, objective_text: str, device: str, backend: str, providers: Sequence[str]) -> Backend:
    return open_for(VisualizeSettings(model=model, objective=objective_text, device=device, backend=backend,
                                      providers=list(providers)))


def channel_pictures(model: str, layer: str, channels: Sequence[int], settings: AtlasSettings = AtlasSettings(),
                     device: str = "auto", progress: Optional[Callable[[int, int], None]] = None, *,
                     backend: str = "auto", providers: Sequence[str] = ()) -> list[Path]:
    """Paths of the channels' pictures, painting (and caching) only those not painted before.

    ``progress(done, total)`` is called after each channel painted.
    """
    paths = [cache_path(model, layer, c, settings) for c in channels]
    todo = [(c, p) for c, p in zip(channels, paths) if not p.is_file()]
    if todo:
        info = {i.name: i for i in catalogue.layer_infos(model)}.get(layer)
        if info is None:
            raise DreamError(f"model {model} has no layer {layer!r}; see `dreamlayer layers {model}`")
        bad = [c for c, _ in todo if not 0 <= c < info.channels]
        if bad:
            raise DreamError(f"channel {bad[0]} out of range: {layer} has channels 0..{info.channels - 1}")
        for done, (channel, path) in enumerate(todo, 1):
            painter = _backend(model, objective.channel(layer, channel).text(), device, backend, providers)
            _save(_paint(painter, settings.seed * 100_003 + channel, settings), path)
            if progress:
                progress(done, len(todo))
    return paths


def layer_pictures(model: str, settings: AtlasSettings = AtlasSettings(), device: str = "auto",
                   progress: Optional[Callable[[int, int], None]] = None, *, backend: str = "auto",
                   providers: Sequence[str] = ()) -> list[tuple[str, Path]]:
    """(layer, picture) for every layer in network order: each amplified as a whole, from the same noise."""
    layers = [info.name for info in catalogue.layer_infos(model)]
    result = []
    for i, name in enumerate(layers):
        path = cache_path(model, name, None, settings)
        if not path.is_file():
            painter = _backend(model, objective.layer(name).text(), device, backend, providers)
            _save(_paint(painter, settings.seed, settings), path)
        result.append((name, path))
        if progress:
            progress(i + 1, len(layers))
    return result


def _load(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255


def atlas_sheet(model: str, layer: str, channels: Sequence[int], paths: Sequence[Path], *,
                cell: int = 128, columns: Optional[int] = None) -> Image.Image:
    """The labelled grid of one layer's channel pictures."""
    captions = [f"{layer}:{c}" for c in channels]
    return contact_sheet([_load(p) for p in paths], captions, cell=cell, columns=columns or min(8, len(paths)),
                         title=f"{model} {layer}: what each channel responds to")


def layers_sheet(model: str, pictures: Sequence[tuple[str, Path]], *, cell: int = 128,
                 columns: Optional[int] = None) -> Image.Image:
    """One picture per layer, low to high, labelled with the layer name and its usual content."""
    hints = {info.name: info.hint for info in catalogue.layer_infos(model)}
    captions = [f"{name}\n{hints.get(name, '')}" for name, _ in pictures]
    return contact_sheet([_load(p) for _, p in pictures], captions, cell=cell,
                         columns=columns or min(6, len(pictures)), lines=2,
                         title=f"{model}: every layer amplified, from edges to objects")


SHEET_FORMATS = {".png": ("PNG", {}), ".jpg": ("JPEG", {"quality": 88}), ".jpeg": ("JPEG", {"quality": 88}),
                 ".webp": ("WEBP", {"quality": 90})}


def write_sheet(sheet: Image.Image, path: Path) -> None:
    """Save a sheet as PNG, JPEG or WebP, by extension; sheets are for looking at, so lossy is fine."""
    fmt, options = SHEET_FORMATS[path.suffix.lower()]
    with replacing(path) as temporary:
        sheet.save(temporary, fmt, **options)
