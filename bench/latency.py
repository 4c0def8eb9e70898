"""What a painter waits for: engine start to ready, and Preview to the first preview image.

Drives the real engine process over the real protocol, as the dialog does; this side
imports neither torch nor numpy, like the editor.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any, Optional, Sequence

from dreamlayer import protocol
from dreamlayer.pixels import Image
from dreamlayer.protocol import Message
from dreamlayer.settings import DreamSettings

from .cases import EXAMPLE

ROOT = Path(__file__).resolve().parent.parent


class Engine:
    """A worker process and the time it took to say hello."""

    def __init__(self, python: str, arguments: Sequence[str] = (), env: Optional[dict[str, str]] = None) -> None:
        start = time.perf_counter()
        self.process = subprocess.Popen([python, "-m", "dreamlayer.engine.worker", *arguments], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
        hello = self.next()
        if hello.type != "hello":
            raise RuntimeError(f"engine said {hello.type} before hello")
        self.ready_seconds = time.perf_counter() - start

    def send(self, kind: str, blobs: Optional[list[bytes]] = None, **fields: Any) -> None:
        protocol.write_message(self.process.stdin, Message(kind, fields, blobs or []))

    def next(self) -> Message:
        message = protocol.read_message(self.process.stdout)
        if message is None:
            raise RuntimeError(f"the engine exited (code {self.process.wait()})")
        return message

    def until(self, *kinds: str, dream_id: Optional[int] = None) -> Message:
        while True:
            message = self.next()
            if message.type == "error":
                raise RuntimeError(f"engine error: {message.get('message')}")
            if message.type in kinds and (dream_id is None or message.get("id") == dream_id):
                return message

    def close(self) -> None:
        self.send("shutdown", id=0)
        self.process.communicate(timeout=60)


def example_image(width: int, height: int) -> Image:
    from PIL import Image as PILImage

    picture = PILImage.open(ROOT / EXAMPLE).convert("RGB").resize((width, height), PILImage.LANCZOS)
    return Image(width, height, picture.convert("RGBA").tobytes(), 8)


def dream_request(engine: Engine, dream_id: int, image: Image, settings: DreamSettings) -> None:
    blobs: list[bytes] = []
    engine.send("dream", blobs, id=dream_id, settings=settings.to_dict(),
                image=protocol.image_field(image, blobs), preview_size=protocol.PREVIEW_SIZE)


def measure(python: str = sys.executable, previews: int = 3, width: int = 512, height: int = 384) -> dict[str, Any]:
    """Two engine starts (the second finds files in the OS cache: 'warm'), then Preview timings
    with the model already loaded: request sent -> first progress message carrying a preview."""
    first = Engine(python)
    cold = first.ready_seconds
    first.close()
    engine = Engine(python)
    try:
        warm = engine.ready_seconds
        dream_request(engine, 1, example_image(64, 48), DreamSettings(octaves=1, steps=1))  # loads the model
        engine.until("result", dream_id=1)
        image, settings = example_image(width, height), DreamSettings()
        started, first_preview = [], []
        for i in range(previews):
            dream_id = 10 + i
            sent = time.perf_counter()
            dream_request(engine, dream_id, image, settings)
            engine.until("started", dream_id=dream_id)
            started.append(time.perf_counter() - sent)
            while "preview" not in engine.until("progress", dream_id=dream_id).fields:
                pass
            first_preview.append(time.perf_counter() - sent)
            engine.send("cancel", id=dream_id + 100, target=dream_id)
            engine.until("cancelled", "result", dream_id=dream_id)
    finally:
        engine.close()
    return {"start_to_ready_first_s": cold, "start_to_ready_warm_s": warm,
            "preview_size": [width, height], "settings": settings.to_dict(),
            "first_preview_s": first_preview, "first_preview_median_s": median(first_preview),
            "started_s": started}
