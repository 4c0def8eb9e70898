"""`dream-video --cluster`: a clip's pieces (engine.video.shots) dreamed on the workers side by side.

The driver decodes the clip twice: once to find its cuts, once to send each piece's frames (8-bit)
to the cluster. The optical flow of every pair of frames is computed first, in parallel, a few
pairs per task; each piece's dream then runs in one task, frame after frame with that flow. The
driver alone writes the frames, fading where a piece continues a shot, and encodes the clip.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from dreamlayer.settings import DreamSettings

from ..imageio import quantize
from ..video.dream_video import Flows
from ..video.io import Clip, frame_name, write_frame
from ..video.shots import Piece, dream_piece, fade, find_cuts, piece_flows, pieces
from .connect import ClusterOptions
from .models import ship
from .tally import Tally
from .work import prepare

if TYPE_CHECKING:
    from distributed import Client

FLOW_PAIRS = 8  # pairs of frames per flow task: enough work per task, and many tasks to share out


def flows_task(frames: np.ndarray, first: int, stop: int, method: str, threads: int) -> list[Flows]:
    """On a worker: the flows of pairs ``first``..``stop - 1`` (pair i: frames i and i + 1)."""
    prepare(threads)
    return piece_flows([f.astype(np.float32) / 255 for f in frames[first:stop + 1]], method)


def dream_task(frames: np.ndarray, flows: list[list[Flows]], settings: dict[str, Any], blend: float, method: str,
               threads: int, weights: Optional[bytes]) -> np.ndarray:
    """On a worker: a piece dreamed in order, as 8-bit frames."""
    chosen = DreamSettings.from_dict(settings)
    prepare(threads, chosen.model, weights)
    known = [pair for chunk in flows for pair in chunk] if flows else None
    dreamed = dream_piece([f.astype(np.float32) / 255 for f in frames], known, chosen, blend, method)
    return np.stack([quantize(d, 8) for d in dreamed])


def _frames(clip: Clip, total: int) -> Iterator[tuple[int, np.ndarray]]:
    for index, frame in enumerate(clip.read()):
        if index >= total:
            return
        yield index, frame


def dream_shots(client: Client, clip: Clip, total: int, settings: DreamSettings, blend: float, method: str,
                options: ClusterOptions, work: Path, recipe: dict, *, longest: int, overlap: int, threshold: float,
                log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> list[Piece]:
    """Dream the first ``total`` frames of ``clip`` into ``work`` as numbered PNGs; the pieces it was cut in."""
    from distributed import as_completed

    cuts = find_cuts((frame for _, frame in _frames(clip, total)), threshold)
    parts = pieces(total, cuts, longest, overlap)
    log(f"{total} frames: {len(cuts)} cuts, {len(parts)} pieces of at most {longest} frames")
    weights = ship(client, settings.model).data
    wanted = settings.to_dict()
    resources = options.resources()
    futures: dict[Any, int] = {}
    stream = _frames(clip, total)
    kept: dict[int, np.ndarray] = {}
    for number, piece in enumerate(parts):
        while piece.stop - 1 not in kept:
            index, frame = next(stream)
            kept[index] = quantize(frame, 8)
        frames = client.scatter(np.stack([kept[i] for i in range(piece.first, piece.stop)]), hash=False)
        kept = {i: f for i, f in kept.items() if i >= piece.stop - overlap}  # the next piece may start back there
        pairs = piece.stop - piece.first - 1
        flows = [] if method == "none" or blend >= 1 else [
            client.submit(flows_task, frames, a, min(a + FLOW_PAIRS, pairs), method, options.cpus, pure=False,
                          resources=resources) for a in range(0, pairs, FLOW_PAIRS)]
        futures[client.submit(dream_task, frames, flows, wanted, blend, method, options.cpus, weights, pure=False,
                              resources=resources)] = number
    done: dict[int, np.ndarray] = {}
    tally = Tally(total)

    def write(index: int, frame: np.ndarray) -> None:
        write_frame(work / frame_name(index), frame.astype(np.float32) / 255, json.dumps({"frame": index, **recipe}))

    for future in as_completed(futures):
        number = futures.pop(future)
        piece, dreamed = parts[number], future.result()
        done[number] = dreamed
        following = parts[number + 1] if number + 1 < len(parts) else None
        tail = following.lead if following else 0
        for index in range(piece.start, piece.stop - tail):
            write(index, dreamed[index - piece.first])
        for left in (number - 1, number):  # fades need both pieces: write them when the second arrives
            if left in done and left + 1 in done and parts[left + 1].lead:
                _write_fade(parts[left], parts[left + 1], done[left], done[left + 1], write)
        tally.done += piece.stop - piece.start
        log(f"[{tally.line()}] frames {piece.start}-{piece.stop - 1}")
    return parts


def _write_fade(before: Piece, after: Piece, first: np.ndarray, second: np.ndarray,
                write: Callable[[int, np.ndarray], None]) -> None:
    for position, index in enumerate(range(after.first, after.start)):
        write(index, fade(first[index - before.first].astype(np.float32), second[position].astype(np.float32),
                          position, after.lead))
