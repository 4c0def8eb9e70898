"""The one table of allowed setting ranges, and the engine refusing what lies outside it."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from dreamlayer.engine import DreamError, dream
from dreamlayer.engine.visualize.settings import AtlasSettings, VisualizeSettings
from dreamlayer.settings import LIMITS, DreamSettings


def _numeric_fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.type in ("int", "float", "Optional[int]")}


def test_every_numeric_dream_setting_has_a_range_that_holds_its_default():
    assert _numeric_fields(DreamSettings) <= set(LIMITS)
    assert DreamSettings().problems() == []
    assert VisualizeSettings().problems() == [] and AtlasSettings().problems() == []


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_each_limit_is_enforced_at_both_ends_and_against_non_finite_numbers(field):
    low, high = LIMITS[field]
    whole = isinstance(low, int) and isinstance(high, int)
    assert DreamSettings(**{field: low}).problems() == [] and DreamSettings(**{field: high}).problems() == []
    below = low - 1 if whole else low / 2 if low > 0 else -1.0
    for bad in (below, high + 1 if whole else high * 2, math.nan, math.inf, "4", True, 2.5 if whole else None):
        if bad is None:
            continue
        problems = DreamSettings(**{field: bad}).problems()
        assert len(problems) == 1 and field.replace("_", " ") in problems[0] and "\n" not in problems[0]


def test_settings_from_a_request_are_checked_for_type():
    problems = DreamSettings.from_dict({"layers": "blocks.9", "objective": 3, "device": ""}).problems()
    assert len(problems) == 3


@pytest.mark.parametrize("settings, mask, message", [
    (DreamSettings(octaves=0), None, "octaves must be at least 1"),
    (DreamSettings(step_size=math.nan), None, "step size must be a finite number"),
    (DreamSettings(), np.zeros((24, 32), np.float32), "black everywhere"),
])
def test_dream_refuses_before_it_loads_the_model(cache, settings, mask, message):
    image = np.full((24, 32, 3), 0.5, np.float32)
    # vgg16 is not installed in the test's empty cache: loading it would fail with another message
    with pytest.raises(DreamError, match=message):
        dream(image, dataclasses.replace(settings, model="vgg16"), mask=mask)


def test_an_empty_image_is_named_as_such():
    with pytest.raises(DreamError, match="the image is 0x0 pixels"):
        dream(np.zeros((0, 0, 3), np.float32), DreamSettings(steps=1, octaves=1))
