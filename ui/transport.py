"""How the dialog's client reaches an engine: a child process on this computer, or a
``dreamlayer serve`` on another one (usually through an SSH tunnel). Both carry the same
frames; a link only moves bytes and says, in plain words, how it ended."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from .qt import QAbstractSocket, QObject, QProcess, QTcpSocket, pyqtSignal

from dreamlayer import protocol

log = logging.getLogger("dreamlayer.engine")
WORKER_MODULE = "dreamlayer.engine.worker"
MISCONFIGURED = -2  # the ``ended`` code when starting again cannot help: fix the install or the settings
KILL_WAIT_MS = 3000


@dataclass(frozen=True)
class Remote:
    """Where a ``dreamlayer serve`` listens and the token it wants."""

    host: str
    port: int
    token: str
    deflate: bool = False  # pictures deflated both ways: pays on networks slower than about 100 Mbit/s

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` as host and port; ValueError with one line."""
    text = text.strip()
    host, port = text, str(protocol.DEFAULT_PORT)
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        host = host if bracket else ""
        port = rest[1:] if rest.startswith(":") else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text or 'an empty address'} is not an address: write host or host:port, "
                         f"e.g. 127.0.0.1:{protocol.DEFAULT_PORT}")
    return host, int(port)


class Link(QObject):
    """Bytes to and from one engine."""

    received = pyqtSignal(bytes)
    said = pyqtSignal(str)  # a line of the engine's log
    ended = pyqtSignal(int, str)  # code (MISCONFIGURED: starting again cannot help), plain words
    name = ""  # the engine in words, for messages

    def open(self) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close_gracefully(self, goodbye: bytes, wait_ms: int) -> bool:
        """Send ``goodbye`` and end; False if the engine did not go within ``wait_ms``."""
        raise NotImplementedError

    def kill(self) -> None:
        """End at once; ``ended`` is not emitted."""
        raise NotImplementedError

    def pid(self) -> int:
        """The engine's process id on this computer (0 if it is elsewhere or not running)."""
        return 0


class ProcessLink(Link):
    """``<engine python> -m dreamlayer.engine.worker`` over its stdin/stdout; stderr is its log."""

    def __init__(self, engine_python: str, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.engine_python = engine_python
        self.name = f"{engine_python} -m {WORKER_MODULE}"
        self._last_words = ""
        self._over = False
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self._process = process

    def open(self) -> None:
        log.info("starting %s", self.name)
        self._process.start(self.engine_python, ["-m", WORKER_MODULE])

    def write(self, data: bytes) -> None:
        self._process.write(data)

    def close_gracefully(self, goodbye: bytes, wait_ms: int) -> bool:
        self._over = True
        self._process.write(goodbye)
        self._process.closeWriteChannel()
        return bool(self._process.waitForFinished(wait_ms))

    def kill(self) -> None:
        self._over = True
        self._process.kill()
        self._process.waitForFinished(KILL_WAIT_MS)

    def pid(self) -> int:
        return int(self._process.processId())

    def _read_stdout(self) -> None:
        self.received.emit(bytes(self._process.readAllStandardOutput()))

    def _read_stderr(self) -> None:
        text = bytes(self._process.readAllStandardError()).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip():
                self._last_words = line.strip()
                self.said.emit(line)

    def _finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        if self._over:
            return
        self._over = True
        if exit_status == QProcess.ExitStatus.CrashExit:
            self.ended.emit(exit_code, "The dream engine stopped unexpectedly (it was killed or crashed).")
            return
        detail = f" It said: {self._last_words}" if self._last_words else ""
        self.ended.emit(exit_code, f"The dream engine stopped unexpectedly (exit code {exit_code}).{detail}")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart or self._over:
            return
        self._over = True
        self.ended.emit(MISCONFIGURED, f"The dream engine could not be started: {self.engine_python} is missing or "
                                       f"cannot run. Run the dreamlayer installer again.")


class SocketLink(Link):
    """A TCP connection to ``dreamlayer serve``; the token's preamble goes first."""

    def __init__(self, remote: Remote, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.remote = remote
        self.name = f"the remote engine at {remote.address}"
        self._over = False
        socket = QTcpSocket(self)
        socket.connected.connect(self._connected)
        socket.readyRead.connect(self._read)
        socket.disconnected.connect(self._disconnected)
        socket.errorOccurred.connect(self._error)
        self._socket = socket

    def open(self) -> None:
        log.info("connecting to %s", self.remote.address)
        self._socket.connectToHost(self.remote.host, self.remote.port)

    def write(self, data: bytes) -> None:
        self._socket.write(data)

    def close_gracefully(self, goodbye: bytes, wait_ms: int) -> bool:
        self._over = True
        self._socket.write(goodbye)
        self._socket.flush()
        self._socket.disconnectFromHost()
        ended = self._socket.state() == QAbstractSocket.SocketState.UnconnectedState or \
            bool(self._socket.waitForDisconnected(wait_ms))
        return ended

    def kill(self) -> None:
        self._over = True
        self._socket.abort()

    def _connected(self) -> None:
        self._socket.setSocketOption(QAbstractSocket.SocketOption.LowDelayOption, 1)
        self._socket.write(protocol.auth_preamble(self.remote.token))

    def _read(self) -> None:
        self.received.emit(bytes(self._socket.readAll()))

    def _disconnected(self) -> None:
        self._read()
        self._end(-1, f"The connection to {self.name} was lost (the engine stopped or the network went away).")

    def _error(self, error: QAbstractSocket.SocketError) -> None:
        if error == QAbstractSocket.SocketError.RemoteHostClosedError:
            self._disconnected()
            return
        reason = self._socket.errorString()
        if error == QAbstractSocket.SocketError.ConnectionRefusedError:
            self._end(-1, f"Could not reach {self.name}: nothing listens there. Is `dreamlayer serve` running, "
                          "and the SSH tunnel open?")
        elif error == QAbstractSocket.SocketError.HostNotFoundError:
            self._end(MISCONFIGURED, f"Could not reach {self.name}: no computer has that name ({reason}).")
        else:
            self._end(-1, f"The connection to {self.name} failed: {reason}.")

    def _end(self, code: int, message: str) -> None:
        if not self._over:
            self._over = True
            self.ended.emit(code, message)
