"""The microscope: channels painted on a local two-worker cluster, cached, and a static site that a real
headless browser (Debian's chromium) shows with every picture in place."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlayer.cli import main
from dreamlayer.engine.microscope import site
from dreamlayer.engine.microscope.build import Channel, Layer

MODEL = "efficientnet-lite0"
TINY = ["--size", "32", "--steps", "4", "--device", "cpu", "--workers", "2"]


def _links(page: Path) -> list[Path]:
    return [(page.parent / ref).resolve() for ref in re.findall(r'(?:href|src)="([^"#]+)"', page.read_text("utf-8"))]


def _fake_site(tmp_path: Path) -> Path:
    """A site of two layers whose pictures are crops of the example photo (no painting needed)."""
    photo = Image.open(Path(__file__).resolve().parent.parent / "examples" / "cat.jpg").convert("RGB")
    layers = []
    for name, count, stride in (("blocks.2", 5, 4), ("blocks.5", 3, 16)):
        layer = Layer(name, 24, stride, "textures")
        for c in range(count):
            picture = tmp_path / "cache" / name / f"{c}-0123.png"
            picture.parent.mkdir(parents=True, exist_ok=True)
            photo.crop((100 * c, 60 * c, 100 * c + 400, 60 * c + 400)).resize((128, 128)).save(picture)
            layer.painted.append(Channel(c, picture, [("tabby cat", 0.61), ("lynx", 0.2), ("doormat", 0.01)]))
        layers.append(layer)
    return site.write_site(tmp_path / "site", MODEL, layers)


def test_every_page_links_only_to_files_of_the_site(tmp_path):
    index = _fake_site(tmp_path)
    pages = sorted(index.parent.rglob("*.html"))
    assert len(pages) == 1 + 2 + 8  # the index, a page per layer, a page per channel
    for page in pages:
        for target in _links(page):
            assert target.is_file() and index.parent.resolve() in target.parents, f"{page}: {target}"
    channel = (index.parent / "blocks.2" / "2.html").read_text("utf-8")
    assert "channel</td><td>2 of 24" in channel and "tabby cat 61.0%" in channel
    assert "stride</td><td>4: positions 4 px apart" in channel
    assert channel.count('<img src="../img/blocks.2/') == 1 + 5  # large, then itself among its neighbours


def _screenshot(page: Path, out: Path, tmp_path: Path) -> np.ndarray:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (.ci/install-chromium.sh installs it)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1200,900", "--hide-scrollbars", f"--screenshot={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    with Image.open(out) as shot:
        return np.asarray(shot.convert("RGB"))


def test_a_headless_browser_shows_the_channel_page_with_its_pictures(tmp_path):
    index = _fake_site(tmp_path)
    shot = _screenshot(index.parent / "blocks.2" / "2.html", tmp_path / "channel.png", tmp_path)
    assert shot.shape[:2] == (900, 1200)
    large = shot[60:480, 24:470].reshape(-1, 3)  # where the large picture is laid out
    assert len(np.unique(large, axis=0)) > 2000  # a photo's colours, not a broken-image icon on the background
    grid = _screenshot(index, tmp_path / "index.png", tmp_path)
    assert len(np.unique(grid.reshape(-1, 3), axis=0)) > 2000


def test_microscope_of_two_layers_on_two_workers_then_from_the_cache(tmp_path, cache, capsys):
    out = tmp_path / "site"
    command = ["microscope", MODEL, "-o", str(out), "--layers", "blocks.5,blocks.2", "--channels", "0,1,30", *TINY]
    assert main(command) == 0
    captured = capsys.readouterr()
    assert "painting 5 channels in 2 tasks (0 cached)" in captured.err  # channel 30 is past blocks.2's 24
    assert "5 channels of 2 layers" in captured.out
    text = (out / "index.html").read_text("utf-8")
    assert text.index("blocks.2") < text.index("blocks.5")  # network order
    assert sorted(p.name for p in (out / "blocks.5").iterdir()) == ["0.html", "1.html", "30.html"]
    assert len(list((cache / "atlas" / MODEL).rglob("*.classes.json"))) == 5
    assert main(command) == 0
    assert "painting" not in capsys.readouterr().err  # all of it came from the cache
