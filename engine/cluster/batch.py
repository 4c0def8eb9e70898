"""`dreamlayer batch`: many stills dreamed in parallel, resumable, each output written exactly once.

An output's name carries a key of its input's bytes and the dream settings
(``OUTDIR/STEM.KEY.EXT``), so a re-run finds what is finished by looking, whatever stopped the
last one, and a changed setting or a retouched photo is dreamed afresh instead of skipped.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from dreamlayer.settings import DreamSettings

from ..errors import DreamError
from ..files import publish
from ..imageio import FORMATS
from .connect import ClusterOptions
from .models import ship
from .tally import Tally
from .work import dream_bytes

if TYPE_CHECKING:
    from distributed import Client

IN_FLIGHT = 2  # pictures queued per worker: workers never wait, and the driver holds few in memory


@dataclass(frozen=True)
class Item:
    input: Path
    output: Path
    key: str


@dataclass
class Outcome:
    skipped: int = 0  # finished by an earlier run
    dreamed: int = 0
    failed: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)  # the dreams' figures, for --report


def _digest(path: Path) -> Any:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest


def key(path: Path, settings: DreamSettings, suffix: str) -> str:
    """12 hex digits of the input's bytes, the settings and the output format."""
    digest = _digest(path)
    digest.update(json.dumps({"settings": settings.to_dict(), "format": suffix}, sort_keys=True).encode())
    return digest.hexdigest()[:12]


def pictures(inputs: list[Path]) -> list[Path]:
    """The files named, and the pictures directly inside the folders named, in order, once each."""
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def plan(inputs: list[Path], outdir: Path, settings: DreamSettings, fmt: Optional[str],
         fail: Callable[[Path, str], None]) -> list[Item]:
    """An item per readable input; ``fail`` hears of the unreadable ones (the rest still run)."""
    items: dict[Path, Item] = {}
    for path in pictures(inputs):
        suffix = fmt or path.suffix.lower()
        if suffix not in FORMATS:
            fail(path, f"cannot write {suffix or 'a file without extension'}: use one of {', '.join(FORMATS)}")
            continue
        try:
            item_key = key(path, settings, suffix)
        except OSError as error:
            fail(path, f"cannot read it: {error.strerror or error}")
            continue
        output = outdir / f"{path.stem}.{item_key}{suffix}"
        items.setdefault(output, Item(path, output, item_key))  # the same photo twice is dreamed once
    return list(items.values())


def run(client: Client, items: list[Item], settings: DreamSettings, options: ClusterOptions, tally: Tally,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr), force: bool = False) -> Outcome:
    """Dream every item whose output is not there yet; outputs are written here, by the driver, once."""
    from distributed import as_completed

    outcome = Outcome()
    todo: deque[Item] = deque()
    for item in items:
        if item.output.exists() and not force:
            outcome.skipped += 1
        else:
            todo.append(item)
    tally.total -= outcome.skipped
    if outcome.skipped:
        log(f"{outcome.skipped} already dreamed in {items[0].output.parent}, skipped")
    if not todo:
        return outcome
    shipment = ship(client, settings.model)
    running: dict[Any, Item] = {}
    queue = as_completed()

    def _failed(path: Path, why: str) -> None:
        outcome.failed += 1
        tally.failed += 1
        log(f"[{tally.line()}] FAILED {path}: {why}")

    def submit() -> None:
        while todo:
            item = todo.popleft()
            try:
                data = item.input.read_bytes()
            except OSError as error:
                _failed(item.input, f"cannot read it: {error.strerror or error}")
                continue
            future = client.submit(dream_bytes, item.input.name, data, item.output.suffix, settings.to_dict(),
                                   options.cpus, shipment.data, key=f"dream-{item.key}", pure=False,
                                   resources=options.resources())
            running[future] = item
            queue.add(future)
            return

    workers = max(1, len(client.scheduler_info()["workers"]))
    for _ in range(IN_FLIGHT * workers):
        submit()
    for future in queue:
        item = running.pop(future)
        try:
            data, report = future.result()
        except Exception as error:  # one picture's failure (or a worker dying on it again and again)
            _failed(item.input, _reason(error))
        else:
            if force:
                item.output.unlink(missing_ok=True)
            written = publish(item.output, data)
            outcome.dreamed += 1
            tally.done += 1
            outcome.reports.append({"input": str(item.input), "output": str(item.output), **report})
            note = "" if written else " (already written by another run; kept)"
            log(f"[{tally.line()}] {item.input} -> {item.output} ({report['seconds_on_worker']:.1f} s){note}")
        submit()
    return outcome


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if type(error).__name__ == "KilledWorker":
        return "the workers that took it died each time (out of memory?)"
    return text if isinstance(error, (DreamError, OSError)) else f"{type(error).__name__}: {text}"
