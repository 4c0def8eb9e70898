"""The weight downloader against a real local HTTP server, and the cache folder."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs
import pytest

from dreamlayer.engine.cache import CACHE_ENV, cache_dir, models_dir
from dreamlayer.engine.download import DownloadError, download, part_path, sha256_file
from httpserver import FileServer, closed_port_url

WEIGHTS = os.urandom(300 * 1024)
DIGEST = hashlib.sha256(WEIGHTS).hexdigest()
CUT = 70_000


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "models" / "lite0.pth"


def test_full_download_matches(dest: Path) -> None:
    with FileServer(WEIGHTS) as server:
        assert download(server.url, dest, DIGEST, progress=False) == dest
    assert dest.read_bytes() == WEIGHTS
    assert server.ranges == [None]
    assert not part_path(dest).exists()


def test_interrupted_transfer_resumes_with_range(dest: Path) -> None:
    with FileServer(WEIGHTS, cut_after=CUT) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.ranges == [None, f"bytes={CUT}-"]
    assert dest.read_bytes() == WEIGHTS


def test_existing_part_file_is_resumed(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(WEIGHTS[:CUT])
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.ranges == [f"bytes={CUT}-"]
    assert dest.read_bytes() == WEIGHTS


def test_server_ignoring_range_restarts_from_zero(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(b"\xff" * CUT)  # wrong bytes: they must not survive
    with FileServer(WEIGHTS, ignore_range=True) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.ranges == [f"bytes={CUT}-"]
    assert dest.read_bytes() == WEIGHTS


def test_complete_part_file_accepted_on_416(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(WEIGHTS)
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.ranges == [f"bytes={len(WEIGHTS)}-"]
    assert dest.read_bytes() == WEIGHTS


def test_oversized_part_file_dropped_on_416(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(os.urandom(len(WEIGHTS) + 10))
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.ranges == [f"bytes={len(WEIGHTS) + 10}-", None]
    assert dest.read_bytes() == WEIGHTS


def test_wrong_hash_leaves_nothing(dest: Path) -> None:
    wrong = hashlib.sha256(b"other weights").hexdigest()
    with FileServer(WEIGHTS) as server, pytest.raises(DownloadError) as caught:
        download(server.url, dest, wrong, progress=False)
    message = str(caught.value)
    assert message.startswith(f"sha256 mismatch for {server.url}")
    assert wrong in message and DIGEST in message and "\n" not in message
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_corrupt_existing_dest_is_replaced(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"truncated")
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST, progress=False)
    assert server.requests == 1
    assert dest.read_bytes() == WEIGHTS


def test_server_down_gives_clear_error(dest: Path) -> None:
    url = closed_port_url()
    with pytest.raises(DownloadError) as caught:
        download(url, dest, DIGEST, retries=1, timeout=2.0, progress=False)
    message = str(caught.value)
    assert message.startswith(f"could not reach {url}: connection refused")
    assert "dreamlayer models import" in message and "\n" not in message
    assert not dest.exists()


def test_retries_exhausted_keeps_part_for_later(dest: Path) -> None:
    with FileServer(WEIGHTS, cut_after=CUT, cut_requests=5) as server:
        with pytest.raises(DownloadError, match=r"failed after 2 attempt\(s\)"):
            download(server.url, dest, DIGEST, retries=1, progress=False)
        assert server.ranges == [None, f"bytes={CUT}-"]
        assert part_path(dest).read_bytes() == WEIGHTS[:2 * CUT]
        assert not dest.exists()


def test_http_404_is_not_retried(dest: Path) -> None:
    with FileServer(WEIGHTS, path="/other.pth") as server:
        url = server.url.replace("/other.pth", "/missing.pth")
        with pytest.raises(DownloadError, match="answered HTTP 404"):
            download(url, dest, DIGEST, retries=3, progress=False)
    assert server.requests == 1


@pytest.mark.parametrize("bad", ["abc", "z" * 64])
def test_malformed_digest_rejected(dest: Path, bad: str) -> None:
    with pytest.raises(DownloadError, match="not a sha256 hex digest"):
        download("http://127.0.0.1/x.pth", dest, bad, progress=False)


def test_good_existing_file_needs_no_network(dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    dest.write_bytes(WEIGHTS)
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST.upper(), progress=False)
    assert server.requests == 0


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(WEIGHTS * 5)  # over one read chunk
    assert sha256_file(path) == hashlib.sha256(WEIGHTS * 5).hexdigest()


def test_cache_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    assert models_dir() == tmp_path / "cache" / "models"
    assert models_dir().is_dir()


def test_cache_defaults_to_platform_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert cache_dir() == Path(platformdirs.user_cache_dir("dreamlayer"))


def test_download_into_overridden_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    with FileServer(WEIGHTS) as server:
        path = download(server.url, models_dir() / "lite0.pth", DIGEST, progress=False)
    assert path == tmp_path / "models" / "lite0.pth"
    assert sha256_file(path) == DIGEST


def test_the_exact_known_size_downloads(dest: Path) -> None:
    with FileServer(WEIGHTS) as server:
        download(server.url, dest, DIGEST, size=len(WEIGHTS), progress=False)
    assert dest.read_bytes() == WEIGHTS


def test_a_stream_longer_than_the_known_size_is_stopped_there(dest: Path) -> None:
    too_long = pytest.raises(DownloadError, match=f"more than the {len(WEIGHTS)} bytes")
    with FileServer(WEIGHTS * 40, send_length=False) as server, too_long:  # 12 MB, no Content-Length to go by
        download(server.url, dest, DIGEST, size=len(WEIGHTS), progress=False)
    assert server.requests == 1 and not dest.exists() and not part_path(dest).exists()


def test_an_announced_length_beyond_the_known_size_is_refused_before_reading(dest: Path) -> None:
    refused = pytest.raises(DownloadError, match=f"announced {40 * len(WEIGHTS)} bytes but the file has")
    with FileServer(WEIGHTS * 40) as server, refused:
        download(server.url, dest, DIGEST, size=len(WEIGHTS), progress=False)
    assert server.requests == 1 and not dest.exists() and not part_path(dest).exists()


def test_a_wrong_content_range_with_no_part_file_is_a_download_error(dest: Path) -> None:
    wrong = pytest.raises(DownloadError, match="resumed at byte 1 instead of 0")
    with FileServer(WEIGHTS, wrong_range=True) as server, wrong:
        download(server.url, dest, DIGEST, retries=1, progress=False)
    assert server.requests == 2 and not dest.exists()


def test_a_cache_folder_that_cannot_be_made_is_a_download_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with FileServer(WEIGHTS) as server, pytest.raises(DownloadError, match="could not create"):
        download(server.url, blocker / "models" / "lite0.pth", DIGEST, progress=False)
