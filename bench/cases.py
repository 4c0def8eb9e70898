"""What the benchmark runs: each case is one picture size and one set of dream settings.

Every figure the issue asks for has a case. Pictures are the README's example photo
(``examples/cat.jpg``, 1024x768) resized, so every case dreams on real content.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

EXAMPLE = "examples/cat.jpg"


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    width: int
    height: int
    settings: dict[str, Any] = field(default_factory=dict)  # DreamSettings fields that differ from the defaults
    baseline: bool = True  # also run the plain loop, paired with dreamlayer, for a speed ratio
    control: bool = False  # also run the plain loop with the engine's OpenMP wait policy (see README)
    repeats: int = 2  # dreamlayer runs (and as many baseline runs, interleaved)
    skip: Optional[str] = None  # why a case cannot run yet; reported, not run
    selection: Optional[tuple[int, int, int, int]] = None  # x, y, w, h of a rectangular selection to dream in

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Case":
        return cls(**data)

    def mask(self):
        """The selection as a float HxW mask (1 inside), or None."""
        if self.selection is None:
            return None
        import numpy as np

        x, y, w, h = self.selection
        mask = np.zeros((self.height, self.width), np.float32)
        mask[y:y + h, x:x + w] = 1.0
        return mask


FULL = [  # most important first: a run that hits the time budget loses the last cases
    Case("readme", "README example, 1024x768, default model and layer, torch backend", 1024, 768,
         {"backend": "torch"}, repeats=2, control=True),
    Case("photo-12mp", "4000x3000 photo, tiled, 4 octaves x 1 step (fewer steps to fit the time budget)",
         4000, 3000, {"steps": 1}, baseline=False, repeats=1),
    Case("selection", "README example with a 256x192 selection in the middle (the baseline dreams it all, "
         "then masks)", 1024, 768, selection=(384, 288, 256, 192), repeats=1),
    Case("preview", "512 px preview (what the dialog sends), default settings", 512, 384, repeats=2),
    Case("class", "class visualization class:goldfish, 512x384, 5 steps per octave", 512, 384,
         {"objective": "class:goldfish", "steps": 5}, repeats=1),
    Case("low-layer", "low layer blocks.1, 1024x768, 5 steps per octave", 1024, 768,
         {"layers": ["blocks.1"], "steps": 5}, repeats=1),
    Case("high-layer", "high layer blocks.15, 1024x768, 5 steps per octave", 1024, 768,
         {"layers": ["blocks.15"], "steps": 5}, repeats=1),
    Case("onnx", "README example on the ONNX Runtime backend (graph exported up to blocks.9)", 1024, 768,
         {"backend": "onnx"}, repeats=2),
]

QUICK = [  # seconds in all: checks the machinery, figures mean little
    Case("tiny", "tiny smoke case, 96x72, 2 octaves x 2 steps", 96, 72, {"octaves": 2, "steps": 2}, repeats=1),
    Case("tiny-tiled", "tiny tiled case, 160x120 in 80 px tiles", 160, 120,
         {"octaves": 1, "steps": 2, "tile": 80}, baseline=False, repeats=1),
]


def select(names: Optional[list[str]], quick: bool) -> list[Case]:
    """The quick or full set, optionally only the named cases (in the set's order)."""
    pool = QUICK if quick else FULL
    if not names:
        return list(pool)
    known = {case.name: case for case in FULL + QUICK}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown case {unknown[0]!r}; choose from: {', '.join(known)}")
    return [known[n] for n in names]
