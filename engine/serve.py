"""``dreamlayer serve``: the dream engine for editors on other machines, over TCP.

Each connection speaks :mod:`dreamlayer.protocol` exactly as the pipe engine does, after one
fixed-length preamble (:func:`dreamlayer.protocol.auth_preamble`): the token's SHA-256. Until
that preamble has arrived, within :data:`AUTH_SECONDS`, and matched (compared in constant
time), nothing the peer sends reaches the frame parser. Every editor gets its own worker; all
of them share one :class:`DreamLine`, so dreams run one at a time in the order asked and a
waiting editor hears its place (``queued``). There is no encryption here: beyond this machine
the supported way is an SSH tunnel to the loopback port (see the README).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import struct
import sys
import threading
import time
from typing import Callable, Optional

from dreamlayer import protocol
from dreamlayer.protocol import Message

from .dream_line import DreamLine
from .errors import DreamError
from .worker import Outbox, Worker

log = logging.getLogger("dreamlayer.serve")

AUTH_SECONDS = 5.0  # a real editor sends its preamble at once; anyone slower is dropped unread
SEND_SECONDS = 60  # an editor that stops reading for this long is dropped, so it cannot stall the line
MAX_CONNECTIONS = 16
ACCEPT_RETRY_S = 0.5
MAX_BLOBS = 1 << 30  # per request: a 16-bit RGBA picture of 120 MP with its mask; checked before reading


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> Optional[str]:
    """What to say loudly when the engine listens beyond this machine (None when it does not)."""
    if is_loopback(host):
        return None
    return (f"WARNING: listening on {host}:{port}, reachable from other machines; the pictures and the token "
            "travel unencrypted. Prefer the default 127.0.0.1 with an SSH tunnel (see the README).")


def _read_preamble(connection: socket.socket, size: int, deadline: float) -> bytes:
    """Up to ``size`` bytes, stopping at ``deadline`` however slowly they trickle in."""
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        connection.settimeout(left)
        try:
            chunk = connection.recv(size - len(data))
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def _send_timeout(connection: socket.socket, seconds: int) -> None:
    """Blocking sends give up after ``seconds`` (the socket stays blocking for reads)."""
    value = struct.pack("I", seconds * 1000) if sys.platform == "win32" else struct.pack("ll", seconds, 0)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class Server:
    """Listens on ``host``:``port`` (0: any free port) and serves editors showing ``token``."""

    def __init__(self, host: str, port: int, token: str, backend: str = "auto",
                 providers: Optional[list[str]] = None) -> None:
        self.backend, self.providers = backend, providers or []
        self._expected = protocol.auth_preamble(token)
        try:
            self._listener = socket.create_server((host, port))
        except OSError as exc:
            raise DreamError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.address = self._listener.getsockname()[:2]
        self.line = DreamLine()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def serve_forever(self) -> None:
        while True:
            try:
                connection, peer = self._listener.accept()
            except OSError as exc:  # out of file descriptors, say: the editors already connected go on
                log.warning("cannot accept a connection now: %s", exc)
                time.sleep(ACCEPT_RETRY_S)
                continue
            if not self._slots.acquire(blocking=False):
                log.warning("refused %s: already %d connections", peer[0], MAX_CONNECTIONS)
                connection.close()
                continue
            threading.Thread(target=self._serve_one, args=(connection, peer), name="editor", daemon=True).start()

    def _serve_one(self, connection: socket.socket, peer: tuple) -> None:
        try:
            with connection:
                self._converse(connection, f"{peer[0]}:{peer[1]}")
        except OSError as exc:
            log.info("%s:%s went away (%s)", peer[0], peer[1], exc)
        finally:
            self._slots.release()

    def _converse(self, connection: socket.socket, peer: str) -> None:
        preamble = _read_preamble(connection, len(self._expected), time.monotonic() + AUTH_SECONDS)
        if not hmac.compare_digest(preamble, self._expected):
            log.warning("refused %s: %s", peer, "wrong token" if len(preamble) == len(self._expected)
                        else "no token in time")
            connection.settimeout(1.0)
            connection.sendall(protocol.encode(Message("error", {
                "id": None, "message": "The remote engine refused the connection: wrong or missing token."})))
            return
        connection.settimeout(None)
        _send_timeout(connection, SEND_SECONDS)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.info("editor connected from %s", peer)
        with connection.makefile("rb") as reader, connection.makefile("wb") as writer:
            outbox = Outbox(writer)
            worker = Worker(outbox, self.line, remote=True, backend=self.backend, providers=self.providers)
            worker.hello()
            try:
                worker.serve(reader, max_blobs=MAX_BLOBS)
            finally:
                outbox.close()
        log.info("editor at %s disconnected", peer)


def run(host: str, port: int, token: str, announce: Callable[[str], None], made: Optional[str] = None,
        backend: str = "auto", providers: Optional[list[str]] = None) -> int:
    """Serve until interrupted. ``announce`` gets what the person starting it must read: the token
    when ``made`` names the file it was just saved in, then (last, once listening) the address.
    ``backend`` and ``providers``: for dreams whose settings leave them to the engine."""
    from dreamlayer.engine.backends import torch_installed

    if backend != "onnx" and torch_installed():
        import torch  # noqa: F401  (loaded before the address is announced, not during the first dream)

    server = Server(host, port, token, backend, providers)
    bound, port = server.address
    warning = exposure_warning(bound, port)
    if warning:
        log.warning("%s", warning)
    if made:
        announce(f"token (saved in {made}, readable only by you): {token}")
    announce(f"dreamlayer serve: listening on {bound}:{port}")
    server.serve_forever()
    return 0
