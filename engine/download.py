"""Fetch a weight file over HTTP: resumable, retried, verified, never half-written.

Stdlib ``urllib`` only, so the download works wherever the engine's Python does. The
bytes go to ``<dest>.part``; a later attempt (or a later run) continues it with an HTTP
Range request, and only a file whose sha256 matches is renamed onto ``dest``.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import sys
import time
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from tqdm import tqdm

from dreamlayer import __version__

CHUNK = 1 << 20
BACKOFF_S = 0.25  # doubled per retry, capped at BACKOFF_MAX_S
BACKOFF_MAX_S = 4.0
OFFLINE_HINT = "is the server up / are you offline? use `dreamlayer models import FILE`"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(Exception):
    """A download that could not be completed; the message is one plain line for users."""


class _TooLong(Exception):
    """The server sent more bytes than the file is known to have."""


class _Transient(Exception):
    """A failure worth another attempt; ``reached`` says whether the server answered."""

    def __init__(self, reason: str, reached: bool) -> None:
        super().__init__(reason)
        self.reached = reached


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so multi-GB weights do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def part_path(dest: Path) -> Path:
    """The in-progress file for ``dest``; kept between runs so downloads resume."""
    return dest.with_suffix(dest.suffix + ".part")


def download(url: str, dest: Path, sha256: str, *, size: int = 0, retries: int = 3, timeout: float = 30.0,
             progress: bool = True) -> Path:
    """Make ``dest`` hold the file at ``url`` with the given sha256, fetching only what is missing.

    ``retries`` is the number of extra attempts after the first; each one resumes the
    ``.part`` file. A ``dest`` that exists with another hash is deleted first, so no
    corrupt weights are ever left there for ``torch.load`` to choke on. A known ``size`` (bytes)
    caps the transfer: a server that sends more is stopped there, not after the whole stream.
    """
    dest = Path(dest)
    expected = sha256.strip().lower()
    if not _HEX64.fullmatch(expected):
        raise DownloadError(f"not a sha256 hex digest: {sha256!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DownloadError(f"not an http(s) URL: {url}")
    if dest.is_file():
        if sha256_file(dest) == expected:
            return dest
        dest.unlink()
    part = part_path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"could not create {dest.parent}: {_reason(err, timeout)}") from None

    attempts = max(retries, 0) + 1
    for attempt in range(1, attempts + 1):
        try:
            _fetch(url, part, expected, size, timeout, progress, dest.name)
            break
        except _Transient as err:
            if attempt == attempts:
                raise _gave_up(url, err, attempts) from None
            time.sleep(min(BACKOFF_S * 2 ** (attempt - 1), BACKOFF_MAX_S))

    got = sha256_file(part)
    if got != expected:
        part.unlink()
        raise DownloadError(f"sha256 mismatch for {url}: expected {expected}, got {got} "
                            f"(the download was deleted)")
    os.replace(part, dest)
    return dest


def _gave_up(url: str, failure: _Transient, attempts: int) -> DownloadError:
    if not failure.reached:
        return DownloadError(f"could not reach {url}: {failure} ({OFFLINE_HINT})")
    return DownloadError(f"download of {url} failed after {attempts} attempt(s): {failure}; "
                         f"run it again to resume, or use `dreamlayer models import FILE`")


def _fetch(url: str, part: Path, expected: str, size: int, timeout: float, progress: bool, name: str) -> None:
    """One attempt: append the rest of the file to ``part`` (restarting it if needed)."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": f"dreamlayer/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as err:
        err.close()
        if err.code == 416 and offset:
            _settle_unsatisfiable_range(part, expected)
            return
        message = f"{url} answered HTTP {err.code} {err.reason}"
        if err.code in _RETRY_STATUS:
            raise _Transient(message, reached=True) from None
        raise DownloadError(message) from None
    except (ValueError, http.client.InvalidURL) as err:
        raise DownloadError(f"bad URL {url}: {err}") from None
    except (OSError, http.client.HTTPException) as err:
        raise _Transient(_reason(err, timeout), reached=False) from None

    with response:
        if response.status == 206:
            start = _range_start(response.headers.get("Content-Range", ""))
            if start != offset:
                part.unlink(missing_ok=True)
                raise _Transient(f"server resumed at byte {start} instead of {offset}", reached=True)
        else:  # a 200 is the whole file: the server ignored Range, start over
            offset = 0
        length = response.headers.get("Content-Length")
        body = int(length) if length and length.isdigit() else None
        if size and body is not None and offset + body > size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url} announced {offset + body} bytes but the file has {size}; "
                                f"nothing was kept")
        _receive(response, part, offset, body, size, timeout, progress, name)


def _receive(response: http.client.HTTPResponse, part: Path, offset: int, body: int | None, size: int,
             timeout: float, progress: bool, name: str) -> None:
    """Stream the body into ``part`` from ``offset``; a short body is a retryable failure, and
    one longer than a known ``size`` is stopped as soon as it passes it."""
    received = 0
    bar = tqdm(total=None if body is None else offset + body, initial=offset, unit="B",
               unit_scale=True, unit_divisor=1024, desc=name, file=sys.stderr,
               disable=None if progress else True)
    try:
        with bar, open(part, "r+b" if offset else "wb") as out:
            out.seek(offset)
            out.truncate()
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as err:
                    raise _Transient(f"connection lost after {offset + received} bytes "
                                     f"({_reason(err, timeout)})", reached=True) from None
                if not chunk:
                    break
                if size and offset + received + len(chunk) > size:
                    raise _TooLong(size)
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    except _TooLong:
        part.unlink(missing_ok=True)
        raise DownloadError(f"the server sent more than the {size} bytes the file has; "
                            f"stopped there and kept nothing") from None
    except OSError as err:
        raise DownloadError(f"could not write {part}: {_reason(err, timeout)}") from None
    if body is not None and received < body:
        raise _Transient(f"connection lost after {offset + received} of {offset + body} bytes",
                         reached=True)


def _settle_unsatisfiable_range(part: Path, expected: str) -> None:
    """A 416 means ``part`` is already as long as the file (or longer): keep it if it is
    the file, otherwise drop it so the next attempt starts from zero."""
    if sha256_file(part) != expected:
        part.unlink()
        raise _Transient("the partial download did not match the server's file; restarting",
                         reached=True)


def _range_start(content_range: str) -> int | None:
    match = re.match(r"bytes\s+(\d+)-", content_range)
    return int(match.group(1)) if match else None


def _reason(err: BaseException, timeout: float) -> str:
    """A short lowercase phrase for a network or file error, for one-line messages."""
    if isinstance(err, URLError) and not isinstance(err, HTTPError):
        if not isinstance(err.reason, BaseException):
            return str(err.reason)
        err = err.reason
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(err, socket.gaierror):
        return "host name not found"
    if isinstance(err, http.client.RemoteDisconnected):
        return "server closed the connection"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror[0].lower() + err.strerror[1:]
    return str(err) or type(err).__name__
