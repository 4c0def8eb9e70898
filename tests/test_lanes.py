"""Lanes: tiles computed side by side give what one stream of the same tiles gives, in order,
never more than the lanes at once, and the tiles in flight share one tile's pixel budget."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dreamlayer.engine.lanes import Lanes, lane
from dreamlayer.engine.tiling import SPLIT_FROM, tiled_gradient, tiled_value, tiles

pytestmark = pytest.mark.numeric


@pytest.fixture(scope="module")
def lanes() -> Lanes:
    return Lanes(2)


def test_results_come_in_order_with_at_most_the_lanes_busy(lanes: Lanes):
    busy, most, guard = 0, 0, threading.Lock()

    def work(item: int) -> tuple[int, int]:
        nonlocal busy, most
        with guard:
            busy += 1
            most = max(most, busy)
        time.sleep(0.01 * (item % 3))  # later items finish first now and then
        with guard:
            busy -= 1
        return item * item, lane()

    results = list(lanes.map(work, range(12)))
    assert [r[0] for r in results] == [i * i for i in range(12)]
    assert most == 2
    assert {r[1] for r in results} <= {n for n in range(1, 100)} and lane() == 0  # numbered lanes, not the caller


def test_items_are_drawn_only_as_lanes_free_up(lanes: Lanes):
    drawn = []

    def items():
        for i in range(6):
            drawn.append(i)
            yield i

    stream = lanes.map(lambda i: i, items())
    assert next(stream) == 0
    assert len(drawn) == 3  # two computing and one waiting, no more
    assert list(stream) == [1, 2, 3, 4, 5]


def test_an_error_in_a_lane_reaches_the_caller_and_stops_what_has_not_started(lanes: Lanes):
    started = []

    def work(item: int) -> int:
        started.append(item)
        if item == 1:
            raise ValueError("tile 1 failed")
        time.sleep(0.05)
        return item

    with pytest.raises(ValueError, match="tile 1 failed"):
        list(lanes.map(work, range(20)))
    time.sleep(0.2)  # anything still running finishes
    assert len(started) < 20


def _squares(x: np.ndarray) -> tuple[np.ndarray, float]:
    """d sum(x^2) / dx and a score that depends on the tile's edges, so tiling shows in it."""
    return 2 * x + x[:, :, :1, :1], float((x ** 2).mean() + x[0, 0, 0, 0])


def test_lanes_give_what_one_stream_gives_on_the_same_tiles(lanes: Lanes):
    image = np.random.default_rng(1).random((1, 3, 300, 410), dtype=np.float32)
    grad, value = tiled_gradient(image, _squares, 100, shift=(17, -40), lanes=lanes)
    # the same tiles one at a time: lanes halve the tile budget, so 100 px becomes round(100 / sqrt 2)
    alone, alone_value = tiled_gradient(image, _squares, 71, shift=(17, -40))
    np.testing.assert_array_equal(grad, alone)
    assert value == alone_value


def test_a_score_computed_in_lanes_is_one_streams_to_the_bit(lanes: Lanes):
    """The before/after figures: the same whole-budget tiles as one stream, only side by side."""
    image = np.random.default_rng(2).random((1, 3, 301, 413), dtype=np.float32)  # tiles of unequal sizes
    seen: list[tuple[int, ...]] = []

    def score(x: np.ndarray) -> float:
        seen.append(x.shape)
        return _squares(x)[1]

    assert tiled_value(image, score, 100, lanes) == tiled_value(image, score, 100)
    half = len(seen) // 2
    assert half == len(tiles(301, 413, 100)) > 2 and sorted(seen[:half]) == sorted(seen[half:])


def test_the_tiles_in_flight_hold_one_tiles_budget_and_a_small_picture_is_split(lanes: Lanes):
    seen: list[tuple[int, ...]] = []

    def record(x: np.ndarray) -> tuple[np.ndarray, float]:
        seen.append(x.shape)
        return np.zeros_like(x), 0.0

    tiled_gradient(np.zeros((1, 3, 768, 1024), np.float32), record, 460, lanes=lanes)
    assert len(seen) == 8 and all(h * w <= 460 ** 2 / 2 + 1000 for _, _, h, w in seen)
    seen.clear()
    tiled_gradient(np.zeros((1, 3, 280, 373), np.float32), record, 460, lanes=lanes)  # one tile alone
    assert len(tiles(280, 373, 460)) == 1 and len(seen) == 2
    seen.clear()
    small = SPLIT_FROM - 1
    tiled_gradient(np.zeros((1, 3, small, small), np.float32), record, 460, lanes=lanes)
    assert len(seen) == 1  # too small to share


def test_a_network_serves_two_lanes_at_once_each_its_own_layers(lanes: Lanes):
    torch = pytest.importorskip("torch")
    from dreamlayer.engine.models import registry

    net = registry.load("efficientnet-lite0", torch.device("cpu"))
    pictures = [torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(i)) for i in range(6)]
    wanted = [{"blocks.3"}, {"blocks.9", "stem"}, {"logits"}] * 2

    def activations(i: int) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return net.activations(pictures[i], wanted[i])

    side_by_side = list(lanes.map(activations, range(6)))
    for i, got in enumerate(side_by_side):
        alone = activations(i)
        assert got.keys() == wanted[i]
        for name in wanted[i]:
            torch.testing.assert_close(got[name], alone[name], rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_forked_child_gets_lanes_of_its_own():
    import os

    from dreamlayer.engine.lanes import cpu_lanes

    parent = cpu_lanes()
    if parent is None:
        pytest.skip("one core: no lanes")
    assert list(parent.map(lambda i: i + 1, range(3))) == [1, 2, 3]
    pid = os.fork()
    if pid == 0:  # the child: its parent's lane threads do not exist here
        child = cpu_lanes()
        ok = child is not parent and child is not None and list(child.map(lambda i: i * 2, range(3))) == [0, 2, 4]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_torch_in_a_lane_keeps_to_its_share_of_the_cores_and_nothing_else_changes():
    """Each lane's torch operators run on its share of the cores, as each lane's ONNX Runtime session
    does; the caller, threads started later and threads outside the lanes keep torch's own count."""
    import torch

    from dreamlayer.engine.backends.torch_lanes import take_lane_share
    from dreamlayer.engine.lanes import LANES, usable_cores

    def threads_here() -> int:
        return torch.get_num_threads()

    def fresh_thread() -> int:
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(threads_here()))
        thread.start()
        thread.join()
        return seen[0]

    caller, fresh = threads_here(), fresh_thread()

    def in_lane(_item: int) -> int:
        take_lane_share()
        torch.ones(4096).sum()  # an operator: torch would size this thread's team now if it had not
        return threads_here()

    fresh_lanes = Lanes(LANES)  # threads that have run no torch operator yet, as a dream's first are
    assert list(fresh_lanes.map(in_lane, range(6))) == [max(1, usable_cores() // LANES)] * 6
    take_lane_share()  # outside the lanes: nothing
    assert (threads_here(), fresh_thread()) == (caller, fresh)
