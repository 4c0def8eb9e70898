"""Long frame-by-frame renders that survive Ctrl-C and resume to the same result.

Frames are written as numbered PNGs into a work folder, each followed by a checkpoint of the
loop's float state, so a render can stop anywhere: Ctrl-C finishes the frame file in hand,
encodes what exists into a playable output and keeps the work folder; ``--resume`` reloads
the exact float state and goes on as if never stopped. The recipe (every setting) goes into
each frame's PNG text, the video's comment and a sidecar JSON beside the output.
"""
from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from ..errors import DreamError
from .io import encode, frame_name, output_kind, replacing, write_frame

CHECKPOINT = ".dreamlayer-resume.npz"
FRAMES_SUFFIX = ".frames"  # the work folder beside a video: OUT.mp4.frames/
UNCHECKED = ("frames", "command_line")  # a resumed render may be made longer, and be typed another way


class Job(Protocol):
    """What a render loop supplies: the state before frame 0, and one frame at a time."""

    def start(self, done: int, state: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """The state to go on from: a fresh one when ``state`` is None, else ``state`` itself."""

    def step(self, index: int, state: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Frame ``index`` (float HxWx3 in [0, 1]) and the state after it."""


@dataclass
class Rendered:
    output: Path
    frames: int  # frames in the output
    complete: bool
    seconds_per_frame: float | None  # the median over the frames this run dreamed


def work_folder(output: Path) -> Path:
    return output if output_kind(output) == "frames" else output.with_name(output.name + FRAMES_SUFFIX)


def sidecar(output: Path) -> Path:
    return output.with_name(output.name + ".json")


def render(output: Path, job: Job, total: int, fps: float, recipe: dict, *, resume: bool = False,
           audio: Path | None = None, label: str = "frames") -> Rendered:
    """Render ``total`` frames into ``output`` (see module doc); returns what was written."""
    kind = output_kind(output)
    work = work_folder(output)
    checkpoint = work / CHECKPOINT
    state, done = begin(work, checkpoint, recipe, resume, kind)
    state = job.start(done, state)
    durations: list[float] = []
    bar = tqdm(total=total, initial=done, desc=label, unit="frame", dynamic_ncols=True)
    try:
        for index in range(done, total):
            started = time.perf_counter()
            frame, state = job.step(index, state)
            write_frame(work / frame_name(index), frame, json.dumps({"frame": index, **recipe}))
            _save_checkpoint(checkpoint, state, index + 1, recipe)
            done = index + 1
            durations.append(time.perf_counter() - started)
            bar.update(1)
    except KeyboardInterrupt:
        pass
    except Exception:
        if done:
            finish(output, work, done, False, fps, recipe, audio, durations)  # what was made stays playable
        elif work != output:
            with contextlib.suppress(OSError):  # bad settings found at the first frame leave nothing behind
                work.rmdir()
        raise
    finally:
        bar.close()
    complete = done >= total
    seconds = finish(output, work, done, complete, fps, recipe, audio, durations)
    return Rendered(output, done, complete, seconds)


def finish(output: Path, work: Path, done: int, complete: bool, fps: float, recipe: dict, audio: Path | None,
           durations: list[float]) -> float | None:
    """Encode the frames made so far, write the sidecar, and tidy up once complete; the median frame time.

    Also how `dream-video --cluster` ends, once its pieces have put every frame into ``work``.
    """
    seconds = float(np.median(durations)) if durations else None  # the median: the first frame loads the model
    with _no_interrupts():
        frames = [work / frame_name(i) for i in range(done)]
        if work != output and frames:
            encode(output, frames, fps, json.dumps(recipe), audio)
        _write_sidecar(output, recipe, done, complete, seconds)
        if complete:
            (work / CHECKPOINT).unlink(missing_ok=True)
            if work != output:
                for path in frames:
                    path.unlink()
                with contextlib.suppress(OSError):  # not empty: leftovers of a killed run stay for a look
                    work.rmdir()
    return seconds


def begin(work: Path, checkpoint: Path, recipe: dict, resume: bool,
          kind: str) -> tuple[dict[str, np.ndarray] | None, int]:
    """The work folder made ready: the state and frame count to go on from, or (None, 0) to start."""
    if resume:
        if not checkpoint.is_file():
            raise DreamError(f"nothing to resume: {checkpoint} does not exist")
        state, done, saved = _load_checkpoint(checkpoint)
        recipe = json.loads(json.dumps(recipe))  # tuples become lists, as they were saved
        changed = sorted(k for k in set(saved) | set(recipe) if k not in UNCHECKED and saved.get(k) != recipe.get(k))
        if changed:
            raise DreamError(f"cannot resume: {', '.join(changed)} differ from the interrupted render's "
                             f"(see {checkpoint.parent})")
        return state, done
    if checkpoint.exists():
        raise DreamError(f"{work} holds an unfinished render: continue it with --resume, or delete the folder")
    if kind == "frames" and work.is_dir() and any(work.glob("*.png")):
        raise DreamError(f"{work} already holds PNG frames: choose an empty or new folder")
    work.mkdir(exist_ok=True)
    return None, 0


def _save_checkpoint(path: Path, state: dict[str, np.ndarray], done: int, recipe: dict) -> None:
    with replacing(path) as temporary, open(temporary, "wb") as file:
        np.savez(file, allow_pickle=False, **state, _done=np.array(done),
                 _recipe=np.array(json.dumps(recipe, sort_keys=True)))


def _load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], int, dict]:
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {k: data[k] for k in data.files if not k.startswith("_")}
            return state, int(data["_done"]), json.loads(str(data["_recipe"]))
    except (OSError, ValueError, KeyError) as error:
        raise DreamError(f"cannot resume from {path}: {error}") from None


def _write_sidecar(output: Path, recipe: dict, done: int, complete: bool, seconds: float | None) -> None:
    data = {**recipe, "frames_written": done, "complete": complete, "seconds_per_frame": seconds}
    with replacing(sidecar(output)) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """A second Ctrl-C must not cut the partial output short while it is being written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
