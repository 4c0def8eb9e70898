"""A real HTTP file server on 127.0.0.1 for tests: Range support and scripted failures.

Real sockets instead of mocks, so the tests exercise urllib's actual behaviour on short
bodies, ignored Range headers and refused connections.
"""
from __future__ import annotations

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class FileServer:
    """Serve ``body`` at ``path`` on a free port while used as a context manager.

    ``cut_after``: for the first ``cut_requests`` requests, close the connection after
    that many body bytes (the headers still promise the full length).
    ``ignore_range``: answer every request with 200 and the whole body.
    ``wrong_range``: answer every request with 206 and a Content-Range one byte past where it was asked.
    ``send_length``: False leaves out Content-Length, so the body runs until the connection closes.
    ``requests`` and ``ranges`` (the Range header of each request, or None) record what
    the server saw, so a test can prove a resume really asked for the missing bytes.
    """

    def __init__(self, body: bytes, path: str = "/weights.pth", *, cut_after: int | None = None,
                 cut_requests: int = 1, ignore_range: bool = False, wrong_range: bool = False,
                 send_length: bool = True) -> None:
        self.body = body
        self.path = path
        self.cut_after = cut_after
        self.cut_requests = cut_requests
        self.ignore_range = ignore_range
        self.wrong_range = wrong_range
        self.send_length = send_length
        self.ranges: list[str | None] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def requests(self) -> int:
        return len(self.ranges)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def __enter__(self) -> "FileServer":
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, range_header: str | None) -> int:
        """Log one request; return its 0-based number."""
        with self._lock:
            self.ranges.append(range_header)
            return len(self.ranges) - 1


def closed_port_url(path: str = "/weights.pth") -> str:
    """A URL on 127.0.0.1 where nothing listens, so connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _handler_for(served: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            number = served._record(self.headers.get("Range"))
            if self.path != served.path:
                self.send_error(404)
                return
            body, total = served.body, len(served.body)
            start = _range_start(self.headers.get("Range"))
            if served.wrong_range:
                start = (start or 0) + 1
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            elif start is None or served.ignore_range:
                self.send_response(200)
                start = 0
            elif start >= total:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            else:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.send_header("Content-Type", "application/octet-stream")
            if served.send_length:
                self.send_header("Content-Length", str(total - start))
            else:
                self.close_connection = True
            self.end_headers()
            payload = body[start:]
            if served.cut_after is not None and number < served.cut_requests:
                payload = payload[:served.cut_after]
                self.close_connection = True
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

    return Handler


def _range_start(header: str | None) -> int | None:
    """The start of an open-ended ``bytes=N-`` range (all the downloader sends)."""
    match = re.fullmatch(r"bytes=(\d+)-\d*", header or "")
    return int(match.group(1)) if match else None
