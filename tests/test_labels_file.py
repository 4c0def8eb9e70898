"""The ImageNet class names shipped as text are torchvision's, in torchvision's order."""
from __future__ import annotations

import pytest

from dreamlayer.engine.models.labels import imagenet_labels


def test_the_shipped_names_are_torchvisions():
    models = pytest.importorskip("torchvision.models")
    assert imagenet_labels() == list(models.GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])
