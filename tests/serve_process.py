"""A real ``dreamlayer serve`` in a child process on 127.0.0.1, and a plain socket editor for it."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

from dreamlayer import protocol
from dreamlayer.pixels import Image, Mask
from dreamlayer.protocol import Message
from dreamlayer.settings import DreamSettings

START_S = 120.0
TOKEN = "test-token-0123456789abcdef"


class ServeProcess:
    """``python -m dreamlayer serve`` (on any free port unless ``port``); ``port`` once it says where it listens."""

    def __init__(self, token_file: Path, token: Optional[str] = TOKEN, port: int = 0) -> None:
        if token is not None:
            token_file.write_text(token + "\n")
        self.token_file = token_file
        self.proc = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port),
                                      "--token-file", str(token_file)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        self.said: list[str] = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        for line in self.proc.stdout:
            self.said.append(line)
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        else:
            raise AssertionError("serve never listened: " + "".join(self.log))
        threading.Thread(target=lambda: self.said.extend(self.proc.stdout), daemon=True).start()

    def connect(self, token: Optional[str] = TOKEN) -> "Editor":
        return Editor(self.port, token)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Editor:
    """A remote editor as plain Python: connects, shows the token, speaks frames."""

    def __init__(self, port: int, token: Optional[str] = TOKEN) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=START_S)
        self.stream = self.sock.makefile("rb")
        self.received_bytes = 0
        if token is not None:
            self.sock.sendall(protocol.auth_preamble(token))

    def send(self, kind: str, blobs: Optional[list[bytes]] = None, deflate: bool = False, **fields) -> None:
        self.sock.sendall(protocol.encode(Message(kind, fields, blobs or []), deflate))

    def receive(self) -> Optional[Message]:
        return protocol.read_message(self)  # type: ignore[arg-type]

    def read(self, size: int = -1) -> bytes:
        """The socket's bytes, counted (the protocol reads through here)."""
        data = self.stream.read(size)
        self.received_bytes += len(data)
        return data

    def until(self, *kinds: str) -> tuple[list[Message], Message]:
        seen = []
        while True:
            message = self.receive()
            assert message is not None, f"the engine hung up waiting for {kinds}; saw {[m.type for m in seen]}"
            if message.type in kinds:
                return seen, message
            seen.append(message)

    def dream(self, request_id: int, image: Image, settings: DreamSettings, mask: Optional[Mask] = None,
              **extra) -> None:
        blobs: list[bytes] = []
        fields = {"image": protocol.image_field(image, blobs), "settings": settings.to_dict(), **extra}
        if mask is not None:
            fields["mask"] = protocol.mask_field(mask, blobs)
        self.send("dream", blobs, id=request_id, **fields)

    def closed_by_peer(self) -> bool:
        """True once the engine has closed the connection (reads until it does)."""
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.stream.close()
        self.sock.close()
