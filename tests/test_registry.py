"""Model registry: pinned weights, layer listing, and pull/import/verify against a real local server."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import small_photo
from dreamlayer.cli import main
from dreamlayer.engine import dream
from dreamlayer.engine.download import DownloadError, sha256_file
from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.models import registry
from dreamlayer.engine.models.registry import MIRROR_ENV
from dreamlayer.engine.models.spec import Weights
from dreamlayer.settings import DreamSettings
from httpserver import FileServer, closed_port_url


def test_default_weights_are_the_pinned_file():
    spec = registry.get("efficientnet-lite0")
    path = registry.weights_path(spec)
    assert sha256_file(path) == "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


@pytest.mark.numeric
def test_default_model_recognises_the_example_cat():
    net = registry.load("efficientnet-lite0", torch.device("cpu"))
    x = torch.from_numpy(small_photo(224, 168).astype(np.float32) / 255).permute(2, 0, 1)[None]
    with torch.no_grad():
        top = net.activations(x, {"logits"})["logits"][0].topk(3).indices.tolist()
    labels = registry.labels("efficientnet-lite0")
    assert {labels[i] for i in top} & {"tabby", "tiger cat", "Egyptian cat"}


def test_layers_command_lists_names_channels_stride(capsys):
    assert main(["layers", "efficientnet-lite0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == [info.name for info in registry.layer_infos("efficientnet-lite0")]
    assert names[0] == "stem" and names[-1] == "head" and len(names) == 18
    assert lines[10].split()[:5] == ["blocks.9", "112", "ch", "stride", "16"] and "(default)" in lines[10]


@pytest.fixture
def googlenet_file(tmp_path: Path) -> bytes:
    """A real GoogLeNet state dict (untrained): the official file is unreachable from CI."""
    net = registry.get("googlenet").build()
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    return buffer.getvalue()


def served_spec(url: str, body: bytes, name: str = "googlenet-local"):
    spec = registry.get("googlenet")
    weights = Weights(sha256=hashlib.sha256(body).hexdigest(), filename="googlenet-local.pth",
                      size=len(body), url=url)
    return dataclasses.replace(spec, name=name, weights=weights)


def test_pull_resumes_an_interrupted_transfer_then_dreams(cache, googlenet_file):
    with FileServer(googlenet_file, "/googlenet-local.pth", cut_after=len(googlenet_file) // 3) as server:
        registry.register(served_spec(server.url, googlenet_file))
        path = registry.pull("googlenet-local", progress=False)
        assert server.ranges[0] is None and server.ranges[1].startswith("bytes=")
    assert path.parent == cache / "models" and path.read_bytes() == googlenet_file
    assert not list(path.parent.glob("*.part"))
    assert [m for m in registry.list_models() if m.name == "googlenet-local"][0].installed
    result = dream(small_photo(64, 48).astype(np.float32) / 255,
                   DreamSettings(model="googlenet-local", octaves=1, steps=1))
    assert result.layers == ["inception4c"]


def test_official_entry_rejects_a_file_with_the_wrong_hash(cache, googlenet_file, monkeypatch):
    with FileServer(googlenet_file, "/googlenet-1378be20.pth") as server:
        monkeypatch.setenv(MIRROR_ENV, server.url.rsplit("/", 1)[0])
        with pytest.raises(DownloadError, match="sha256 mismatch"):
            registry.pull("googlenet", progress=False)
    assert not (cache / "models" / "googlenet-1378be20.pth").exists()
    assert not list((cache / "models").glob("*.part"))


def test_server_down_is_a_clear_message(cache, capsys):
    registry.register(served_spec(closed_port_url("/googlenet-local.pth"), b"x"))
    assert main(["models", "pull", "googlenet-local"]) == 2
    err = capsys.readouterr().err
    assert "connection refused" in err and "models import" in err and "Traceback" not in err


def test_import_checks_the_hash_and_verify_finds_corruption(cache, tmp_path, googlenet_file, capsys):
    spec = served_spec("http://127.0.0.1:9/unused.pth", googlenet_file)
    registry.register(spec)
    wrong = tmp_path / "wrong.pth"
    wrong.write_bytes(googlenet_file[:-1])
    with pytest.raises(DreamError, match="is not the googlenet-local weight file"):
        registry.import_file(wrong, "googlenet-local")
    good = tmp_path / "downloaded-elsewhere.pth"
    good.write_bytes(googlenet_file)
    assert main(["models", "import", str(good), "--as", "googlenet-local"]) == 0
    installed = cache / "models" / "googlenet-local.pth"
    assert installed.read_bytes() == googlenet_file
    capsys.readouterr()
    assert main(["models", "verify"]) == 0
    assert "googlenet-local      ok" in capsys.readouterr().out
    installed.write_bytes(b"garbage")
    assert main(["models", "verify"]) == 1
    assert "googlenet-local      CORRUPT" in capsys.readouterr().out


def test_models_list_shows_installed_and_missing(cache, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "efficientnet-lite0" in out and "installed" in out
    assert "googlenet" in out and "not installed (dreamlayer models pull googlenet)" in out


def test_missing_weights_say_how_to_get_them(cache):
    with pytest.raises(DreamError, match="models pull vgg16"):
        registry.load("vgg16", torch.device("cpu"))


def test_a_damaged_weight_file_is_refused_before_loading_and_pull_repairs_it(cache, googlenet_file, capsys):
    with FileServer(googlenet_file, "/googlenet-local.pth") as server:
        registry.register(served_spec(server.url, googlenet_file))
        assert main(["models", "pull", "googlenet-local"]) == 0
        installed = cache / "models" / "googlenet-local.pth"
        damaged = bytearray(googlenet_file)
        damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte: torch.load alone would not notice
        installed.write_bytes(bytes(damaged))
        registry.register(served_spec(server.url, googlenet_file))  # forget the network loaded above, if any
        with pytest.raises(DreamError, match="is damaged .* models pull googlenet-local"):
            registry.load("googlenet-local", torch.device("cpu"))
        capsys.readouterr()
        assert main(["models", "pull", "googlenet-local"]) == 0
        assert installed.read_bytes() == googlenet_file and server.requests == 2
    registry.load("googlenet-local", torch.device("cpu"))
    assert main(["models", "verify"]) == 0


def test_a_good_file_is_hashed_once_per_size_and_mtime(cache, googlenet_file, tmp_path, monkeypatch):
    spec = served_spec("http://127.0.0.1:9/unused.pth", googlenet_file)
    registry.register(spec)
    source = tmp_path / "googlenet-local.pth"
    source.write_bytes(googlenet_file)
    installed = registry.import_file(source, "googlenet-local")
    hashed: list[Path] = []
    real = registry.sha256_file
    monkeypatch.setattr(registry, "sha256_file", lambda path: hashed.append(path) or real(path))
    assert registry.is_intact(spec, installed) and registry.is_intact(spec, installed)
    assert hashed == []  # import_file hashed it already
    stamp = installed.stat().st_mtime_ns
    damaged = bytearray(googlenet_file)
    damaged[1000] ^= 0xFF
    installed.write_bytes(bytes(damaged))  # same size; a later modification time
    os.utime(installed, ns=(stamp + 10**9, stamp + 10**9))  # (a rewrite within one clock tick keeps it)
    assert not registry.is_intact(spec, installed) and hashed == [installed]


@pytest.mark.parametrize("content, message", [(b"", "the file is empty"),
                                              (b"these are not weights\n", "not a PyTorch weight file")])
def test_a_file_that_is_not_weights_is_named_plainly(tmp_path, content, message):
    from dreamlayer.engine.models.network import build_network

    path = tmp_path / "weights.pth"
    path.write_bytes(content)
    with pytest.raises(DreamError) as caught:
        build_network(registry.get("googlenet"), path, torch.device("cpu"))
    text = str(caught.value)
    assert message in text and str(path) in text and "KeyError: " not in text and "\n" not in text


def test_an_unknown_class_with_no_near_name_suggests_what_to_type():
    from dreamlayer.engine.models.labels import find_class

    with pytest.raises(DreamError) as caught:
        find_class("qqqzzzxxx", registry.labels("efficientnet-lite0"))
    text = str(caught.value)
    assert "dreamlayer classes" not in text and "0..999" in text
