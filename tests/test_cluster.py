"""Work spread over a local Dask cluster of two worker processes: batches that resume, that survive a
worker killed mid-batch, and whose outputs are each written exactly once."""
from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine.cluster import batch
from dreamlayer.engine.cluster.connect import ClusterOptions, connect
from dreamlayer.engine.cluster.models import receive, ship
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.models import registry
from dreamlayer.engine.models.digits import digits_spec, weights_file
from dreamlayer.engine.models.spec import ModelSpec
from dreamlayer.engine.cluster.tally import Tally
from dreamlayer.settings import DreamSettings

SMALL = ["--steps", "2", "--octaves", "1", "--device", "cpu"]
SETTINGS = DreamSettings(steps=3, octaves=2, device="cpu")


def _photos(folder: Path, count: int) -> list[Path]:
    """Different real pictures: crops of the example photo at several places and sizes."""
    folder.mkdir(exist_ok=True)
    whole = Image.fromarray(small_photo(192, 144))
    paths = []
    for i in range(count):
        box = (8 * i % 96, 5 * i % 72, 8 * i % 96 + 80 + 4 * i, 5 * i % 72 + 60 + 3 * i)
        path = folder / f"photo{i:02d}.png"
        whole.crop(box).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Two workers, each with one core, shared by the tests of this module (starting one costs seconds)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DREAMLAYER_CACHE", str(tmp_path_factory.mktemp("cache")))  # the workers inherit it
        with connect(ClusterOptions(workers=2)) as started:
            yield started


def test_tally_counts_and_estimates_the_time_left():
    tally = Tally(10, clock=0.0)
    assert tally.line(5.0) == "0 done, 0 failed, 10 left"
    tally.done, tally.failed = 3, 1
    assert tally.line(8.0) == "3 done, 1 failed, 6 left, about 12 s left"


def test_the_key_follows_the_pictures_bytes_and_the_settings(tmp_path):
    one, two = _photos(tmp_path, 2)
    assert batch.key(one, SETTINGS, ".png") == batch.key(one, DreamSettings(steps=3, octaves=2, device="cpu"), ".png")
    assert batch.key(one, SETTINGS, ".png") != batch.key(two, SETTINGS, ".png")
    assert batch.key(one, SETTINGS, ".png") != batch.key(one, DreamSettings(steps=4, octaves=2, device="cpu"), ".png")
    assert batch.key(one, SETTINGS, ".png") != batch.key(one, SETTINGS, ".jpg")


def test_a_batch_resumes_and_a_broken_picture_does_not_stop_the_rest(tmp_path, cache, capsys):
    photos = _photos(tmp_path / "in", 3)
    (tmp_path / "in" / "broken.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "-o", str(out), *SMALL, "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "broken.png" in err and "not an image" in err
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 3 and all(n.startswith("photo") and n.endswith(".png") for n in written)
    photos[0].unlink()  # gone since: its output stays, the others are not dreamed again
    (tmp_path / "in" / "broken.png").unlink()
    Image.fromarray(small_photo(64, 48)).save(tmp_path / "in" / "new.png")
    assert main(["batch", str(tmp_path / "in"), "-o", str(out), *SMALL, "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "2 already dreamed" in captured.err and "1 dreamed, 2 already there, 0 failed" in captured.out
    assert len(list(out.iterdir())) == 4 and not list(out.glob(".*"))


def test_a_worker_killed_mid_batch_loses_no_picture_and_writes_none_twice(client, tmp_path):
    photos = _photos(tmp_path / "in", 8)
    out = tmp_path / "out"
    out.mkdir()
    items = batch.plan(photos, out, SETTINGS, None, lambda path, why: pytest.fail(f"{path}: {why}"))
    killed: list[int] = []
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        busy = [address for address, keys in client.processing().items() if keys]
        if not killed and busy:  # after the first picture: kill a worker that is dreaming one now
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    outcome = batch.run(client, items, SETTINGS, ClusterOptions(workers=2), Tally(len(items)), log=log)
    assert killed and (outcome.dreamed, outcome.failed, outcome.skipped) == (8, 0, 0)
    assert sorted(p.name for p in out.iterdir()) == sorted(i.output.name for i in items)
    assert not any("already written" in line for line in lines)
    assert all(Image.open(p).size == Image.open(i.input).size for i, p in ((i, i.output) for i in items))


def _unpackaged(name: str) -> ModelSpec:
    """The digits network as if its weights were downloaded, not installed with the package."""
    spec = digits_spec()
    return replace(spec, name=name, weights=replace(spec.weights, filename=f"{name}.pth", locate=None))


def test_weights_not_in_a_package_travel_through_the_object_store_checked_on_arrival(client, tmp_path, monkeypatch):
    monkeypatch.setenv("DREAMLAYER_CACHE", str(tmp_path / "driver"))  # the workers have their own cache
    for name in ("digits-shipped", "digits-tampered"):
        monkeypatch.setitem(registry._specs(), name, _unpackaged(name))
        client.run(registry.register, _unpackaged(name))
    registry.import_file(weights_file(), "digits-shipped")
    shipment = ship(client, "digits-shipped")
    assert shipment.data is not None and not any(client.run(registry.weights_path, _unpackaged("digits-shipped"))
                                                 .values())
    client.submit(receive, "digits-shipped", shipment.data, pure=False).result()
    arrived = set(client.run(registry.weights_path, _unpackaged("digits-shipped")).values())
    assert len(arrived) == 1 and Path(str(arrived.pop())).read_bytes() == weights_file().read_bytes()
    tampered = client.scatter(weights_file().read_bytes()[:-1] + b"x")
    with pytest.raises(DreamError, match="sha256"):
        client.submit(receive, "digits-tampered", tampered, pure=False).result()
    assert not any(client.run(registry.weights_path, _unpackaged("digits-tampered")).values())
