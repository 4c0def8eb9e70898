"""A command-line progress bar fed by the engine's per-step callback."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from tqdm import tqdm

if TYPE_CHECKING:
    from .deepdream import Progress


class ProgressBar:
    """Context manager whose ``update`` matches the engine's progress callback."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Optional[tqdm] = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, progress: Progress) -> None:
        if self.bar is None:
            self.bar = tqdm(total=progress.total, desc=self.label, unit="step", dynamic_ncols=True)
        self.bar.set_postfix(octave=f"{progress.octave + 1}/{progress.octaves}", objective=f"{progress.objective:.3f}")
        self.bar.update(progress.step - self.bar.n)
