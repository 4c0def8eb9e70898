"""Layer atlases: channel pictures cached on disk, keyed by model, layer, channel and settings."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.models import registry
from dreamlayer.engine.visualize import AtlasSettings, atlas
from dreamlayer.engine.visualize.cli import register
from dreamlayer.engine.visualize.sheet import contact_sheet

pytestmark = pytest.mark.numeric

MODEL = "efficientnet-lite0"
TINY = AtlasSettings(size=32, steps=4)


def _counting_render(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The objectives the real render paints (it still paints them)."""
    painted: list[str] = []
    real = atlas.render

    def render(backend, param, **kwargs):
        painted.append(backend.objective.text())
        return real(backend, param, **kwargs)

    monkeypatch.setattr(atlas, "render", render)
    return painted


def test_channels_are_painted_once_then_read_from_the_cache(cache, monkeypatch):
    painted = _counting_render(monkeypatch)
    first = atlas.channel_pictures(MODEL, "blocks.2", [0, 1, 2], TINY, device="cpu")
    assert painted == ["blocks.2:0", "blocks.2:1", "blocks.2:2"] and all(p.is_file() for p in first)
    assert all(str(p).startswith(str(cache / "atlas" / MODEL / "blocks.2")) for p in first)
    stamps = [p.stat().st_mtime_ns for p in first]
    again = atlas.channel_pictures(MODEL, "blocks.2", [2, 0, 1, 3], TINY, device="cpu")
    assert painted[3:] == ["blocks.2:3"]  # only channel 3 was new
    assert again[:3] == [first[2], first[0], first[1]]
    assert [p.stat().st_mtime_ns for p in first] == stamps
    assert Image.open(first[0]).size == (32, 32)


def test_other_settings_are_other_pictures():
    paths = {atlas.cache_path(MODEL, "blocks.2", 0, s) for s in
             (TINY, AtlasSettings(size=32, steps=5), AtlasSettings(size=32, steps=4, seed=1),
              AtlasSettings(size=48, steps=4))}
    paths |= {atlas.cache_path(MODEL, "blocks.3", 0, TINY), atlas.cache_path(MODEL, "blocks.2", 1, TINY),
              atlas.cache_path("efficientnet-lite1", "blocks.2", 0, TINY)}
    assert len(paths) == 7


def test_a_channel_does_not_depend_on_its_company(cache):
    """Each channel is painted alone from its own noise: the same bytes whichever channels came with it."""
    alone = atlas.channel_pictures(MODEL, "blocks.1", [5], TINY, device="cpu")[0]
    alone_pixels = np.asarray(Image.open(alone), dtype=int)
    alone.unlink()
    together = atlas.channel_pictures(MODEL, "blocks.1", [3, 5, 7], TINY, device="cpu")[1]
    assert together == alone
    assert np.array_equal(np.asarray(Image.open(together), dtype=int), alone_pixels)
    neighbour = atlas.channel_pictures(MODEL, "blocks.1", [4], TINY, device="cpu")[0]
    assert np.abs(np.asarray(Image.open(neighbour), dtype=int) - alone_pixels).mean() > 2


def test_thumbnail_only_for_painted_default_pictures(cache):
    assert atlas.atlas_thumbnail(MODEL, "stem", 4, size=32) is None
    painted = atlas.channel_pictures(MODEL, "stem", [4], AtlasSettings(size=32), device="cpu")[0]
    assert atlas.atlas_thumbnail(MODEL, "stem", 4, size=32) == painted
    assert atlas.atlas_thumbnail(MODEL, "stem", 4, size=48) is None


def test_every_layer_in_network_order(cache):
    pictures = atlas.layer_pictures(MODEL, AtlasSettings(size=32, steps=2), device="cpu")
    assert [name for name, _ in pictures] == [info.name for info in registry.layer_infos(MODEL)]
    assert all(path.is_file() for _, path in pictures)
    sheet = atlas.layers_sheet(MODEL, pictures, cell=40)
    assert sheet.width > 6 * 40


@pytest.mark.parametrize("text,expected", [("0-3", [0, 1, 2, 3]), ("5", [5]), ("0,3,8-9", [0, 3, 8, 9]),
                                           ("2,2,1-2", [2, 1])])
def test_channel_lists(text, expected):
    assert atlas.parse_channels(text, 16) == expected


@pytest.mark.parametrize("text,message", [("0-16", "channel 16 out of range"), ("5-2", "end comes before"),
                                          ("a-b", "bad channel list")])
def test_bad_channel_lists(text, message):
    with pytest.raises(DreamError, match=message):
        atlas.parse_channels(text, 16)


def test_sheet_has_a_cell_per_picture():
    pictures = [np.full((20, 30, 3), i / 5, np.float32) for i in range(5)]
    sheet = contact_sheet(pictures, [f"#{i}" for i in range(5)], cell=50, columns=3)
    assert sheet.size[0] == 3 * 56 + 6 and sheet.size[1] > 2 * 50
    with pytest.raises(ValueError, match="5 pictures but 4 captions"):
        contact_sheet(pictures, ["a"] * 4)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_atlas_writes_a_sheet(cache, tmp_path: Path):
    out = tmp_path / "atlas.jpg"
    assert _cli("atlas", MODEL, "blocks.0", "-o", str(out), "--channels", "0-3", "--size", "32",
                "--steps", "2", "--device", "cpu") == 0
    assert Image.open(out).size[0] > 4 * 32
    assert len(list((cache / "atlas" / MODEL / "blocks.0").glob("*.png"))) == 4


@pytest.mark.parametrize("argv,message", [
    (["blocks.0", "--channels", "0-999"], "channel 16 out of range"),
    (["blocks.99"], "has no layer 'blocks.99'"),
    ([], "give a LAYER, or --layers"),
])
def test_cli_atlas_errors(cache, tmp_path, argv, message):
    """Each fails before painting anything, so nothing lands in the cache."""
    with pytest.raises(DreamError, match=message):
        _cli("atlas", MODEL, *argv, "-o", str(tmp_path / "a.png"), "--steps", "1", "--size", "32")
    assert not (cache / "atlas").exists()


def test_cli_atlas_refuses_an_unwritable_output_before_painting(cache):
    with pytest.raises(DreamError, match="folder /no/such/folder does not exist"):
        _cli("atlas", MODEL, "blocks.0", "-o", "/no/such/folder/a.png", "--steps", "1", "--size", "32")
    assert not (cache / "atlas").exists()
