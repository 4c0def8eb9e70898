"""Feature visualization on the real default model: tiny pictures, few steps."""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import small_photo
from dreamlayer.engine.errors import DreamCancelled, DreamError
from dreamlayer.engine.visualize import VisualizeSettings, api, visualize
from dreamlayer.engine.visualize import regularizers as reg
from dreamlayer.engine.visualize import transforms as tf
from dreamlayer.engine.visualize.cli import register
from dreamlayer.engine.visualize.param import image_param

pytestmark = pytest.mark.numeric

FAST = VisualizeSettings(size=96, steps=24, device="cpu")


def test_class_picture_climbs_into_the_top_five():
    before = visualize(replace(FAST, class_name="goldfish", steps=0))
    after = visualize(replace(FAST, class_name="goldfish"))
    assert before.targets[0].rank > 20
    assert after.targets[0].rank <= 5
    assert after.targets[0].probability > 10 * before.targets[0].probability
    assert after.objective_after > before.objective_after + 1.0
    assert after.targets[0].label == "goldfish" and after.image.shape == (96, 96, 3)


@pytest.mark.parametrize("name", ["tabby", "tabby cat", "Tabby Cat", "281"])
def test_class_names_are_forgiving(name):
    result = visualize(replace(FAST, class_name=name, steps=0, size=32))
    assert result.targets[0].index == 281


def test_a_repeated_label_reports_the_class_asked_for():
    """ImageNet has two cranes (134, the bird; 517, the machine): the report follows the index given."""
    assert visualize(replace(FAST, class_name="517", steps=0, size=32)).targets[0].index == 517


def test_unknown_class_lists_the_nearest_matches():
    with pytest.raises(DreamError, match=r"unknown class 'tabbi'; nearest: tabby \(281\)"):
        visualize(replace(FAST, class_name="tabbi", steps=1))


def test_objective_expression_channel_rises():
    result = visualize(replace(FAST, objective="blocks.4:7 - 0.1*blocks.2", size=64, steps=12, start="grey"))
    assert result.objective_after > result.objective_before + 0.5
    assert result.targets == [] and len(result.top5) == 5


@pytest.mark.parametrize("kind", ["fourier", "pixel"])
@pytest.mark.parametrize("decorrelate", [True, False])
@pytest.mark.parametrize("height,width", [(32, 32), (24, 37)])
def test_parametrization_round_trip(kind, decorrelate, height, width):
    param = image_param(height, width, kind=kind, decorrelate=decorrelate, sd=0.01, rng=np.random.default_rng(0))
    assert param.forward().shape == (3, height, width)
    picture = np.random.default_rng(1).random((3, height, width)) * 0.98 + 0.01
    param.load_image(picture)
    assert np.allclose(param.forward(), picture, atol=1e-4)
    assert param.params.size > 0


def test_grey_start_is_flat_grey():
    param = image_param(16, 16, sd=0.0)
    assert np.allclose(param.forward(), 0.5)


SHAPE_KEEPING = [tf.jitter(6), tf.random_scale([0.9, 1.1, 1.2]), tf.random_rotate([-10, 5, 10]),
                 tf.compose(tf.standard(48)[1:])]


@pytest.mark.parametrize("transform", SHAPE_KEEPING)
def test_transforms_keep_shape_and_follow_the_seed(transform):
    image = np.random.default_rng(0).random((3, 40, 48))
    outputs = [transform((40, 48), np.random.default_rng(s))(image) for s in (7, 7, 8, 9, 10)]
    assert all(o.shape == image.shape for o in outputs)
    assert np.array_equal(outputs[0], outputs[1])
    assert any(not np.array_equal(outputs[0], o) for o in outputs[2:])


def test_pad_grows_the_canvas_with_grey():
    out = tf.pad(5)((10, 12), np.random.default_rng())(np.zeros((3, 10, 12)))
    assert out.shape == (3, 20, 22) and float(out[0, 0, 0]) == 0.5 and float(out[0, 10, 10]) == 0.0


def test_standard_transforms_reject_unknown_names():
    with pytest.raises(DreamError, match="unknown transform 'shear'"):
        tf.standard(64, ["pad", "shear"])


def test_penalties_measure_roughness_and_glare():
    flat = np.full((3, 16, 16), 0.5)
    noisy = np.random.default_rng(0).random((3, 16, 16))
    for make in (reg.total_variation, reg.blur, reg.l2):
        penalty = make()
        assert penalty(flat)[0] == pytest.approx(0.0, abs=1e-7)
        assert penalty(noisy)[0] > 0.5
        assert make(3.0)(noisy)[0] == pytest.approx(3 * penalty(noisy)[0])


def _roughness(image: np.ndarray) -> float:
    return float(np.abs(np.diff(image, axis=0)).mean() + np.abs(np.diff(image, axis=1)).mean())


def test_total_variation_smooths_the_picture():
    settings = replace(FAST, class_name="goldfish", param="pixel", decorrelate=False, size=64, steps=16)
    rough = visualize(settings)
    smooth = visualize(replace(settings, tv=3.0))
    assert _roughness(smooth.image) < 0.7 * _roughness(rough.image)


def test_several_views_per_step_still_climb():
    result = visualize(replace(FAST, class_name="goldfish", size=64, steps=8, views=3))
    assert result.objective_after > result.objective_before + 1.0


def test_same_seed_same_bytes_other_seed_other_picture():
    settings = replace(FAST, class_name="goldfish", size=48, steps=6)
    first, second, other = visualize(settings), visualize(settings), visualize(replace(settings, seed=1))
    assert np.array_equal(first.image, second.image)
    assert not np.array_equal(first.image, other.image)


def test_start_picture_is_kept_with_its_aspect(tmp_path):
    path = tmp_path / "start.png"
    Image.fromarray(small_photo(96, 72)).save(path)
    result = visualize(replace(FAST, class_name="tabby", start=str(path), steps=0, size=96))
    assert result.image.shape == (72, 96, 3)
    assert np.abs(result.image * 255 - small_photo(96, 72)).mean() < 1.0


def test_progress_can_cancel():
    seen = []

    def progress(p):
        seen.append((p.step, p.total, p.preview().shape))
        return p.step < 3

    with pytest.raises(DreamCancelled):
        visualize(replace(FAST, class_name="goldfish", size=32), progress=progress)
    assert seen == [(1, 24, (32, 32, 3)), (2, 24, (32, 32, 3)), (3, 24, (32, 32, 3))]


@pytest.mark.parametrize("change,message", [
    (dict(class_name=None), "exactly one of"),
    (dict(objective="blocks.3"), "exactly one of"),
    (dict(steps=-1), "steps must be"),
    (dict(views=0), "views must be"),
    (dict(size=4), "size must be"),
    (dict(param="wavelet"), "unknown parametrization"),
    (dict(tv=-1.0), "tv weight"),
    (dict(method="magic"), "unknown method 'magic'"),
    (dict(model="alexnet"), "unknown model"),
    (dict(start="/no/such/picture.png"), "grey, noise or a picture"),
])
def test_bad_settings_are_one_line_errors(change, message):
    with pytest.raises(DreamError, match=message) as info:
        visualize(replace(FAST, **{"class_name": "goldfish", **change}))
    assert "\n" not in str(info.value)


def test_methods_are_pluggable(monkeypatch):
    calls = []
    monkeypatch.setitem(api._METHODS, "echo", lambda settings, progress: calls.append(settings.class_name) or "ok")
    assert visualize(replace(FAST, class_name="goldfish", method="echo")) == "ok"
    assert calls == ["goldfish"] and "echo" in api.method_names()


@pytest.mark.parametrize("method", ["optimize", "projection"])
def test_any_registry_model_and_method_digits(method):
    result = visualize(VisualizeSettings(model="digits", class_name="3", method=method, steps=64, device="cpu"))
    assert result.targets[0].label == "3" and result.targets[0].rank == 1
    assert result.method == method and result.image.shape[2] == 3


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_writes_picture_and_report(tmp_path: Path):
    out, report = tmp_path / "fork.png", tmp_path / "fork.json"
    assert _cli("visualize", "-o", str(out), "--class", "Tabby Cat", "--size", "48", "--steps", "4",
                "--transforms", "jitter,rotate", "--tv", "0.1", "--report", str(report), "--device", "cpu") == 0
    assert Image.open(out).size == (48, 48)
    data = json.loads(report.read_text())
    assert data["targets"][0]["label"] == "tabby" and 0 < data["targets"][0]["probability"] < 1
    assert data["targets"][0]["rank"] >= 1 and data["steps"] == 4
    assert data["settings"]["transforms"] == ["jitter", "rotate"] and data["settings"]["tv"] == 0.1


@pytest.mark.parametrize("output,message", [("fork.gif", "use one of .png"), ("no/such/fork.png", "does not exist")])
def test_cli_refuses_an_unwritable_output_before_painting(tmp_path, monkeypatch, output, message):
    monkeypatch.setattr(api, "_METHODS", {})  # painting would fail with 'unknown method'
    with pytest.raises(DreamError, match=message):
        _cli("visualize", "-o", str(tmp_path / output), "--class", "tabby")


def test_cli_rejects_unknown_transform(capsys):
    with pytest.raises(SystemExit):
        _cli("visualize", "-o", "x.png", "--class", "tabby", "--transforms", "shear")
    assert "unknown transform 'shear'" in capsys.readouterr().err
