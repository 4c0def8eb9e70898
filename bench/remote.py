"""``python -m bench.remote``: what a picture's trip to ``dreamlayer serve`` and back costs on
loopback, beside the dream itself and beside the pipe engine the dialog starts locally.

One dream of the README's photo scaled to the size asked (default 4000x3000, 12 MP) with a
little sensor-like noise (an upscaled photo alone deflates better than a real one), through
each engine in turn. Per engine: bytes on the wire each way, seconds from the first byte sent
to ``started`` (upload, inflate, checks), the engine's own dream seconds, the rest (result
blending and the trip back), and this process's CPU seconds spent encoding and decoding.
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np
from PIL import Image as PILImage

from dreamlayer import protocol
from dreamlayer.pixels import Image
from dreamlayer.protocol import Message
from dreamlayer.settings import DreamSettings

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "examples" / "cat.jpg"
TOKEN = "bench-token-0123456789abcdef"


def picture(width: int, height: int) -> Image:
    rgb = np.asarray(PILImage.open(PHOTO).convert("RGB").resize((width, height), PILImage.Resampling.LANCZOS))
    noise = np.random.default_rng(0).normal(0, 2, rgb.shape)
    rgba = np.full((height, width, 4), 255, np.uint8)
    rgba[..., :3] = np.clip(rgb + noise, 0, 255).astype(np.uint8)
    return Image(width, height, rgba.tobytes(), 8)


class Counting:
    """A byte stream that counts what is read from it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.count = stream, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


def one_dream(send: Callable[[bytes], None], stream: Counting, image: Image, settings: DreamSettings,
              deflate: bool) -> dict[str, Any]:
    cpu = time.process_time()
    blobs: list[bytes] = []
    fields = {"id": 1, "settings": settings.to_dict(), "image": protocol.image_field(image, blobs)}
    frame = protocol.encode(Message("dream", fields, blobs), deflate)
    encode_cpu = time.process_time() - cpu
    start = time.monotonic()
    send(frame)
    received_before = stream.count
    started = result = None
    while result is None:
        message = protocol.read_message(stream)  # type: ignore[arg-type]
        assert message is not None, "the engine hung up"
        if message.type == "started":
            started = time.monotonic()
        elif message.type in ("result", "error"):
            result = message
    end = time.monotonic()
    assert result.type == "result", result.fields
    assert started is not None
    cpu = time.process_time()
    protocol.image_from(result)
    return {"sent_bytes": len(frame), "raw_bytes": len(image.data), "received_bytes": stream.count - received_before,
            "upload_s": round(started - start, 3), "dream_s": round(result["seconds"], 3),
            "rest_s": round(end - started - result["seconds"], 3),
            "client_cpu_s": round(encode_cpu + time.process_time() - cpu, 3)}


def through_pipe(image: Image, settings: DreamSettings) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, "-m", "dreamlayer.engine.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin
    try:
        stream = Counting(proc.stdout)
        protocol.read_message(stream)  # type: ignore[arg-type]

        def send(frame: bytes) -> None:
            stdin.write(frame)
            stdin.flush()

        return one_dream(send, stream, image, settings, deflate=False)
    finally:
        proc.kill()
        proc.wait()


def through_serve(image: Image, settings: DreamSettings, deflate: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        token_file = Path(folder) / "token"
        token_file.write_text(TOKEN)
        proc = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", "0", "--token-file",
                                 str(token_file)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        try:
            port = next(int(line.rsplit(":", 1)[1]) for line in proc.stdout if "listening on" in line)
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(protocol.auth_preamble(TOKEN))
                stream = Counting(connection.makefile("rb"))  # type: ignore[arg-type]
                protocol.read_message(stream)  # type: ignore[arg-type]
                if deflate:
                    connection.sendall(protocol.encode(Message("deflate", {"id": 0, "on": True})))
                return one_dream(connection.sendall, stream, image, settings, deflate)
        finally:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.remote", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="4000x3000", help="WxH of the picture (default 4000x3000)")
    parser.add_argument("--steps", type=int, default=1, help="steps of the one octave dreamed (default 1)")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    image = picture(width, height)
    settings = DreamSettings(steps=args.steps, octaves=1)
    figures = {"size": args.size, "steps": args.steps, "pipe": through_pipe(image, settings),
               "serve": through_serve(image, settings, deflate=False),
               "serve_deflated": through_serve(image, settings, deflate=True)}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
