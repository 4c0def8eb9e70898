"""The real engine worker with one extra model whose weights come from a private mirror.

Run as ``python tests/mirror_worker.py [ignored worker args]`` with ``DREAMLAYER_TEST_MIRROR`` set
to the URL of a copy of the EfficientNet-Lite0 weight file; the model is called ``lite0-mirror``.
Tests use it to download for real (from a local server) through the worker's ``pull_model``.
"""
import os
import sys
from dataclasses import replace

from dreamlayer.engine.models import registry
from dreamlayer.engine.models.spec import Weights
from dreamlayer.engine.worker import main

MODEL = "lite0-mirror"


def register_mirror_model(url: str) -> None:
    lite0 = registry.get("efficientnet-lite0")
    weights = Weights(sha256=lite0.weights.sha256, filename="lite0-mirror.pth", size=lite0.weights.size, url=url)
    registry.register(replace(lite0, name=MODEL, description="Lite0 from a test mirror", weights=weights))


if __name__ == "__main__":
    register_mirror_model(os.environ["DREAMLAYER_TEST_MIRROR"])
    sys.exit(main())
