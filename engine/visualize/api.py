"""Feature visualization from scratch: settings in, a picture of what the network looks for out."""
from __future__ import annotations

import importlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np
import torch

from dreamlayer.objective import class_logit

from ..backends.torch_backend import TorchBackend
from ..devices import resolve_device
from ..deepdream import evaluate
from ..errors import DreamError
from ..models import registry
from ..models.network import LOGITS, DreamNet
from ..objectives import Scorer, compile_objective, load_guide
from ..parse import parse
from ..tensors import read_fitted, to_numpy
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


def build_objective(settings: VisualizeSettings, net: DreamNet) -> Scorer:
    """The compiled objective: the class shortcut or the expression, in the dream's language."""
    objective = class_logit(str(settings.class_name)) if settings.class_name else parse(settings.objective or "")
    return compile_objective(objective, net, load_guide)


def start_image(start: str, size: int) -> Optional[torch.Tensor]:
    """A start picture (1 x 3 x H x W, longer side ``size``), or None for grey/noise."""
    if start in STARTS:
        return None
    path = Path(start)
    if not path.exists():
        raise DreamError(f"--from must be grey, noise or a picture; {start} is none of these")
    return read_fitted(path, size, enlarge=True, smallest=8)


def penalties(settings: VisualizeSettings) -> list[regularizers.Penalty]:
    chosen = [(settings.tv, regularizers.total_variation), (settings.blur, regularizers.blur),
              (settings.l2, regularizers.l2)]
    return [make(weight) for weight, make in chosen if weight > 0]


def class_scores(net: DreamNet, image: torch.Tensor, targets: list[int]) -> tuple[list[ClassScore], list[ClassScore]]:
    """Softmax probability and rank of ``targets`` on ``image``, and the network's top 5."""
    with torch.no_grad():
        logits = net.activations(image.to(net.device), {LOGITS})[LOGITS][0]
    probs = logits.float().softmax(0)
    order = probs.argsort(descending=True).tolist()
    labels = net.spec.labels()

    def score(index: int) -> ClassScore:
        return ClassScore(index, labels[index], float(probs[index]), order.index(index) + 1)

    return [score(i) for i in targets], [score(i) for i in order[:5]]


def summarize(net: DreamNet, objective: Scorer, settings: VisualizeSettings, before: torch.Tensor,
              after: torch.Tensor, started: float) -> VisualizeResult:
    """The result of a method: figures on the start and finished pictures (1 x 3 x H x W in [0, 1])."""
    targets, top5 = class_scores(net, after, list(objective.classes))
    height, width = after.shape[-2:]
    backend = TorchBackend(net, objective)

    def value(picture: torch.Tensor) -> float:
        return evaluate(backend, picture.detach().float().cpu().contiguous().numpy(), auto_tile(None))

    return VisualizeResult(
        image=to_numpy(after), objective=objective.name,
        objective_before=value(before), objective_after=value(after),
        seconds=time.perf_counter() - started,
        steps=settings.steps, model=settings.model, method=settings.method, device=str(net.device),
        width=int(width), height=int(height), targets=targets, top5=top5, settings=asdict(settings))


def optimize(settings: VisualizeSettings, progress: Optional[ProgressCallback] = None) -> VisualizeResult:
    """Adam on a (Fourier, decorrelated) parametrization under random transforms: the default method."""
    started = time.perf_counter()
    net = registry.load(settings.model, resolve_device(settings.device))
    objective = build_objective(settings, net)
    size = settings.size or net.spec.input_size
    picture = start_image(settings.start, size)
    height, width = (size, size) if picture is None else picture.shape[-2:]
    generator = torch.Generator().manual_seed(settings.seed)
    sd = 0.0 if settings.start == "grey" else 0.01
    param = image_param(height, width, kind=settings.param, decorrelate=settings.decorrelate, sd=sd,
                        generator=generator)
    if picture is not None:
        param.load_image(picture)
    with torch.no_grad():
        before = param().detach()
    after = render(net, objective, param, steps=settings.steps, lr=settings.lr,
                   transforms=standard(max(height, width), settings.transforms),
                   penalties=penalties(settings), views=settings.views, generator=generator, progress=progress)
    return summarize(net, objective, settings, before, after, started)


register_method("optimize", optimize)
register_method("projection", "dreamlayer.engine.visualize.projection:projection")  # small fully connected nets


def visualize(settings: VisualizeSettings, progress: Optional[ProgressCallback] = None) -> VisualizeResult:
    """Paint what the network looks for. ``progress`` works as for dream(): False cancels."""
    check_settings(settings)
    registry.get(settings.model)  # unknown model: a clear error; model modules may register methods here
    return _method(settings.method)(settings, progress)
