"""The zoom's camera path, easing, objective schedule and colour hold: the math, without a network."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.zoom.colour import colour_stats, hold_colour
from dreamlayer.engine.zoom.path import EASINGS, Camera, CameraPath, parse_key
from dreamlayer.engine.zoom.schedule import Schedule, check, mix, parse_change
from dreamlayer.engine.zoom.warp import warp


def apply(matrix: np.ndarray, x: float, y: float) -> tuple[float, float]:
    return tuple(matrix @ np.array([x, y, 1.0]))


@pytest.mark.parametrize("name", sorted(EASINGS))
def test_easings_run_from_0_to_1_without_going_back(name):
    ease = EASINGS[name]
    values = [ease(t) for t in np.linspace(0, 1, 101)]
    assert values[-1] == 1 and (values[0] == 0)
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_in_out_easing_starts_and_ends_slowly():
    ease = EASINGS["in-out"]
    assert ease(0.05) < 0.05 and ease(0.95) > 0.95 and ease(0.5) == pytest.approx(0.5)


def test_camera_keeps_its_centre_and_scales_around_it():
    m = Camera(zoom=2.0, center=(0.25, 0.5)).matrix(101, 51)
    cx, cy = 0.25 * 100, 0.5 * 50
    assert apply(m, cx, cy) == pytest.approx((cx, cy))
    assert apply(m, cx + 10, cy) == pytest.approx((cx + 20, cy))


def test_camera_turns_counter_clockwise_on_screen_and_shifts():
    m = Camera(zoom=1.0, rotate=90, shift=(3, -2)).matrix(101, 101)
    # y points down: a point right of the centre turns to above it, then moves by the shift
    assert apply(m, 60, 50) == pytest.approx((50 + 3, 40 - 2))


def test_warp_moves_an_off_centre_dot_where_the_matrix_says():
    image = np.zeros((65, 81, 3), np.float32)
    image[20, 30] = 1.0
    camera = Camera(zoom=1.5, center=(0.2, 0.3))
    moved = warp(image, camera)
    y, x = np.unravel_index(np.argmax(moved[..., 0]), moved.shape[:2])
    assert (x, y) == tuple(round(v) for v in apply(camera.matrix(81, 65), 30, 20))
    assert moved.min() >= 0 and moved.max() <= 1  # Lanczos ringing is clipped


def test_keyframes_glide_with_their_easing_then_hold():
    path = CameraPath(Camera(zoom=1.0), [parse_key("10 zoom=2 center=0,1 ease=in-out"), parse_key("20 rotate=4")])
    assert path.at(0).zoom == 1.0
    assert path.at(5).zoom == pytest.approx(1.5) and path.at(5).center == pytest.approx((0.25, 0.75))
    assert path.at(2).zoom == pytest.approx(1 + EASINGS["in-out"](0.2))
    assert path.at(15) == Camera(zoom=2, rotate=2, center=(0, 1))  # linear by default; zoom held
    assert path.at(400) == Camera(zoom=2, rotate=4, center=(0, 1))


def test_a_keyframe_at_zero_replaces_the_start():
    assert CameraPath(Camera(zoom=1.05), [parse_key("0 zoom=1.01")]).at(7).zoom == 1.01


@pytest.mark.parametrize("text", ["x zoom=1", "5", "5 zoom=fast", "5 spin=3", "5 center=0.5", "5 ease=bouncy",
                                  "-1 zoom=2", "5 zoom=nan"])
def test_bad_keyframes_are_one_line_errors(text):
    with pytest.raises(DreamError) as error:
        parse_key(text)
    assert "\n" not in str(error.value)


def test_a_zoom_that_is_not_positive_is_refused():
    with pytest.raises(DreamError, match="zoom must be positive"):
        CameraPath(Camera(), [parse_key("5 zoom=0")])
    with pytest.raises(DreamError, match="zoom must be positive"):
        CameraPath(Camera(zoom=-1.05))


def test_two_keyframes_at_one_frame_are_refused():
    with pytest.raises(DreamError, match="same frame"):
        CameraPath(Camera(), [parse_key("5 zoom=1"), parse_key("5 rotate=1")])


def test_schedule_switches_and_fades():
    s = Schedule("blocks.5", [parse_change("10=class:goldfish"), parse_change("20..30=0.5*blocks.12:3 - blocks.9")],
                 ease="linear")
    assert [s.at(f) for f in (0, 9, 10, 20)] == ["blocks.5", "blocks.5", "class:goldfish", "class:goldfish"]
    assert s.at(25) == "0.5*class:goldfish + 0.25*blocks.12:3 - 0.5*blocks.9"
    assert s.at(30) == s.at(99) == "0.5*blocks.12:3 - blocks.9"


def test_mix_keeps_terms_as_written_and_parses_again():
    text = mix('guide:"my sky.jpg"@blocks.6', 'class:"tabby cat" * 2', 0.25)
    assert text == '0.75*guide:"my sky.jpg"@blocks.6 + 0.5*class:"tabby cat"'
    check(text)


@pytest.mark.parametrize("text", ["class:goldfish", "10", "10..5=blocks.5", "a..b=blocks.5", "10="])
def test_bad_objective_changes_are_refused(text):
    with pytest.raises(DreamError, match="bad objective change"):
        parse_change(text)


def test_overlapping_fades_are_refused():
    with pytest.raises(DreamError, match="overlap"):
        Schedule("blocks.5", [parse_change("10..20=blocks.9"), parse_change("15=blocks.3")])


def test_colour_hold_reaches_the_reference_at_full_strength_and_part_way_below():
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal([0.3, 0.5, 0.6], [0.05, 0.1, 0.1], (40, 50, 3)), 0, 1).astype(np.float32)
    reference = np.array([[0.5, 0.4, 0.5], [0.15, 0.12, 0.1]])
    assert np.allclose(colour_stats(hold_colour(image, reference, 1.0)), reference, atol=0.01)
    half = colour_stats(hold_colour(image, reference, 0.5))
    assert np.allclose(half[0], (colour_stats(image)[0] + reference[0]) / 2, atol=0.01)
    assert hold_colour(image, reference, 0.0) is image


def test_colour_hold_leaves_a_flat_channel_flat():
    grey = np.full((8, 8, 3), 0.5, np.float32)
    held = hold_colour(grey, np.array([[0.4, 0.5, 0.6], [0.2, 0.2, 0.2]]), 1.0)
    assert np.allclose(held, [0.4, 0.5, 0.6]) and math.isfinite(float(held.sum()))


def test_zooming_out_does_not_alias_fine_detail():
    stripes = np.zeros((64, 64, 3), np.float32)
    stripes[:, ::2] = 1.0  # the finest detail a frame can hold
    moved = warp(stripes, Camera(zoom=0.7))[16:48, 16:48]
    assert abs(float(moved.mean()) - 0.5) < 0.05
    assert float(moved.std()) < 0.25  # Lanczos alone leaves moire of 0.35 here; scale-space prefilter 0.19
