"""The optimisation loop: Adam on a parametrized picture, seen through random transforms."""
from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..deepdream import Progress
from ..errors import DreamCancelled
from ..models.network import DreamNet
from ..objectives import Scorer
from ..tensors import to_numpy
from .param import ImageParam
from .regularizers import Penalty
from .transforms import Transform, compose

ProgressCallback = Callable[[Progress], Optional[bool]]


def render(net: DreamNet, objective: Scorer, param: ImageParam, *, steps: int, lr: float,
           transforms: Sequence[Transform] = (), penalties: Sequence[Penalty] = (), views: int = 1,
           generator: Optional[torch.Generator] = None,
           progress: Optional[ProgressCallback] = None) -> torch.Tensor:
    """Maximise ``objective`` over ``param``'s picture and return it (B x C x H x W in [0, 1]).

    Each step the network sees ``views`` independently transformed copies (one batch, so the
    objective averages over them): more views, fewer accidents, proportionally more time.
    ``objective`` must already be prepared against ``net``. ``progress`` is called after every
    step with the same Progress as dream() (one octave); returning False raises DreamCancelled.
    """
    started = time.perf_counter()
    generator = generator or torch.Generator().manual_seed(0)
    transform = compose(transforms)
    param = param.to(net.device)
    optimizer = torch.optim.Adam(param.parameters(), lr=lr)
    for step in range(1, steps + 1):
        optimizer.zero_grad(set_to_none=True)
        image = param()
        seen = torch.cat([transform(image, generator) for _ in range(views)])
        value = objective(net.activations(seen, objective.layers))
        loss = -value
        for penalty in penalties:
            loss = loss + penalty(image)
        loss.backward()
        optimizer.step()
        if progress is not None:
            def preview(image: torch.Tensor = image) -> np.ndarray:
                return to_numpy(image)

            if progress(Progress(step, steps, 0, 1, float(value.detach()), time.perf_counter() - started,
                                 preview)) is False:
                raise DreamCancelled(f"cancelled at step {step} of {steps}")
    with torch.no_grad():
        return param().detach()
