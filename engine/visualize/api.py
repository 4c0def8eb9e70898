"""Feature visualization from scratch: settings in, a picture of what the network looks for out.

The painting runs on either backend (torch or ONNX Runtime), as dreams do; nothing here imports torch.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np

from dreamlayer import classes
from dreamlayer import objective as spec
from dreamlayer.settings import DreamSettings

from ..backends import Backend, open_backend, torch_installed
from ..deepdream import evaluate
from ..errors import DreamError
from ..imageio import read_image
from ..octaves import resize
from ..parse import parse
from ..tiling import auto_tile
from . import regularizers
from .param import image_param
from .render import ProgressCallback, render
from .settings import PARAMETRIZATIONS, STARTS, VisualizeSettings
from .transforms import standard


@dataclass
class ClassScore:
    index: int
    label: str
    probability: float  # softmax over all classes, on the finished picture
    rank: int  # 1 = the network's top guess


@dataclass
class VisualizeResult:
    image: np.ndarray  # float32 H x W x 3 in [0, 1]
    objective: str
    objective_before: float
    objective_after: float
    seconds: float
    steps: int
    model: str
    method: str
    device: str
    width: int
    height: int
    targets: list[ClassScore] = field(default_factory=list)  # the classes the objective asked for
    top5: list[ClassScore] = field(default_factory=list)  # what the network now thinks it sees
    settings: dict = field(default_factory=dict)  # the VisualizeSettings, to repeat the run
    backend: str = "torch"  # which library computed the gradients

    def report(self) -> dict:
        """The JSON-able summary written by --report."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("image", "targets", "top5")}
        data["targets"] = [score.__dict__ for score in self.targets]
        data["top5"] = [score.__dict__ for score in self.top5]
        return data


Method = Callable[[VisualizeSettings, Optional[ProgressCallback]], VisualizeResult]
_METHODS: dict[str, Union[Method, str]] = {}


def register_method(name: str, method: Union[Method, str]) -> None:
    """Add a way of visualizing, chosen with ``VisualizeSettings.method`` / ``--method NAME``.

    ``method`` is a callable or a lazy "package.module:function" reference, imported on first use.
    """
    _METHODS[name] = method


def method_names() -> list[str]:
    return sorted(_METHODS)


def _method(name: str) -> Method:
    found = _METHODS.get(name)
    if found is None:
        raise DreamError(f"unknown method {name!r}: choose one of {', '.join(method_names())}")
    if isinstance(found, str):
        module, _, attr = found.partition(":")
        found = getattr(importlib.import_module(module), attr)
        _METHODS[name] = found
    return found


def check_settings(settings: VisualizeSettings) -> None:
    if bool(settings.objective and settings.objective.strip()) == bool(settings.class_name):
        raise DreamError("give exactly one of a class (--class) or an objective (--objective)")
    problems = settings.problems()
    if problems:
        raise DreamError(problems[0])
    if settings.param not in PARAMETRIZATIONS:
        raise DreamError(f"unknown parametrization {settings.param!r}: use {' or '.join(PARAMETRIZATIONS)}")


def open_for(settings: VisualizeSettings) -> Backend:
    """The settings' backend, ready to score their objective (the class shortcut or the expression)."""
    objective = spec.class_logit(str(settings.class_name)).text() if settings.class_name else settings.objective
    return open_backend(DreamSettings(model=settings.model, objective=objective, device=settings.device,
                                      backend=settings.backend, providers=list(settings.providers)))


def start_image(start: str, size: int) -> Optional[np.ndarray]:
    """A start picture (3 x H x W float32 in [0, 1], longer side ``size``), or None for grey/noise."""
    if start in STARTS:
        return None
    path = Path(start)
    if not path.exists():
        raise DreamError(f"--from must be grey, noise or a picture; {start} is none of these")
    picture = np.ascontiguousarray(read_image(path).rgb.transpose(2, 0, 1), dtype=np.float32)
    height, width = picture.shape[1:]
    factor = size / max(height, width)
    return resize(picture, (max(8, round(height * factor)), max(8, round(width * factor))))


def penalties(settings: VisualizeSettings) -> list[regularizers.Penalty]:
    chosen = [(settings.tv, regularizers.total_variation), (settings.blur, regularizers.blur),
              (settings.l2, regularizers.l2)]
    return [make(weight) for weight, make in chosen if weight > 0]


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits.astype(np.float64) - logits.max())
    return exp / exp.sum()


def class_scores(backend: Backend, picture: np.ndarray,
                 targets: list[int]) -> tuple[list[ClassScore], list[ClassScore]]:
    """Softmax probability and rank of ``targets`` on ``picture`` (3 x H x W), and the network's top 5;
    nothing where the network as loaded has no logits."""
    logits = backend.logits(np.ascontiguousarray(picture[None], dtype=np.float32))
    if logits is None:
        return [], []
    probs = _softmax(logits)
    labels = backend.labels
    order = [int(i) for i in np.argsort(-probs, kind="stable")]

    def score(index: int) -> ClassScore:
        return ClassScore(index, labels[index], float(probs[index]), order.index(index) + 1)

    return [score(i) for i in targets], [score(i) for i in order[:5]]


def _requested(settings: VisualizeSettings) -> spec.Objective:
    """The objective as asked for: the class shortcut or the expression."""
    return spec.class_logit(str(settings.class_name)) if settings.class_name else parse(settings.objective or "")


def _targets(settings: VisualizeSettings, backend: Backend) -> list[int]:
    """The classes the objective raises, as indices: found from the words asked for, since a
    resolved objective names classes by label and some labels repeat (ImageNet has two cranes)."""
    if not backend.labels:
        return []
    return [classes.find_class(term.label, backend.labels) for weight, term in _requested(settings).terms()
            if isinstance(term, spec.ClassLogit) and weight > 0]


def summarize(backend: Backend, settings: VisualizeSettings, before: np.ndarray, after: np.ndarray,
              started: float) -> VisualizeResult:
    """The result of a method: figures on the start and finished pictures (3 x H x W in [0, 1])."""
    targets, top5 = class_scores(backend, after, _targets(settings, backend))
    height, width = after.shape[-2:]

    def value(picture: np.ndarray) -> float:
        return evaluate(backend, np.ascontiguousarray(picture[None], dtype=np.float32), auto_tile(None))

    return VisualizeResult(
        image=np.ascontiguousarray(after.transpose(1, 2, 0), dtype=np.float32), objective=backend.objective.text(),
        objective_before=value(before), objective_after=value(after),
        seconds=time.perf_counter() - started,
        steps=settings.steps, model=settings.model, method=settings.method, device=backend.device,
        width=int(width), height=int(height), targets=targets, top5=top5, settings=asdict(settings),
        backend=backend.name)


def optimize(settings: VisualizeSettings, progress: Optional[ProgressCallback] = None) -> VisualizeResult:
    """Adam on a (Fourier, decorrelated) parametrization under random transforms: the default method."""
    started = time.perf_counter()
    backend = open_for(settings)
    size = settings.size or backend.input_size
    picture = start_image(settings.start, size)
    height, width = (size, size) if picture is None else picture.shape[-2:]
    rng = np.random.default_rng(settings.seed)
    sd = 0.0 if settings.start == "grey" else 0.01
    param = image_param(height, width, kind=settings.param, decorrelate=settings.decorrelate, sd=sd, rng=rng)
    if picture is not None:
        param.load_image(picture)
    before = param.forward()
    after = render(backend, param, steps=settings.steps, lr=settings.lr,
                   transforms=standard(max(height, width), settings.transforms),
                   penalties=penalties(settings), views=settings.views, rng=rng, progress=progress)
    return summarize(backend, settings, before, after, started)


register_method("optimize", optimize)
register_method("projection", "dreamlayer.engine.visualize.projection:projection")  # small fully connected nets


def visualize(settings: VisualizeSettings, progress: Optional[ProgressCallback] = None) -> VisualizeResult:
    """Paint what the network looks for. ``progress`` works as for dream(): False cancels."""
    check_settings(settings)
    if settings.backend != "onnx" and torch_installed():
        from ..models import registry

        if settings.model in registry.names():
            registry.get(settings.model)  # model modules may register methods here
    return _method(settings.method)(settings, progress)
