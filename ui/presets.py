"""Built-in presets and the painter's own, saved as a small JSON file.

A preset is a partial dialog state: any :class:`DreamSettings` field plus the dialog's own
keys (``mode``, ``layer_depth``, ...). Built-ins name no model and no layer, only a relative
depth (0 = first layer, 1 = last), so they fit every network. A built-in sets every setting of
a look (``LOOK``), taking the defaults for those it does not name, so the look does not depend
on the preset chosen before it; the seed and the model stay the painter's.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .qt import QStandardPaths

from dreamlayer.settings import DreamSettings

log = logging.getLogger("dreamlayer.ui")
PRESETS_FILE_VERSION = 1


@dataclass(frozen=True)
class Preset:
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    builtin: bool = False
    description: str = ""


LOOK = ("pattern_size", "octave_scale", "steps", "step_size", "jitter")  # the DreamSettings a look consists of


def _look(**values: Any) -> dict[str, Any]:
    """A whole look: ``values`` over the defaults of every ``LOOK`` setting, amplifying a layer."""
    defaults = DreamSettings().to_dict()
    return {"mode": "layer", **{key: defaults[key] for key in LOOK}, **values}


BUILTIN = (
    Preset("Classic 2015", _look(layer_depth=0.6),
           True, "The look of the original DeepDream: eyes and dog faces growing out of everything."),
    Preset("Gentle", _look(layer_depth=0.3, pattern_size=0.5, octave_scale=1.3, steps=6, step_size=0.004, jitter=16),
           True, "A light touch of texture that keeps the picture recognisable."),
    Preset("Deep", _look(layer_depth=0.85, pattern_size=2.0, steps=20, jitter=48),
           True, "Strong, large-scale hallucination of whole objects; slow."),
)


def default_presets_path() -> Path:
    """Where the painter's presets live (a per-user config folder, the same for every editor)."""
    base = QStandardPaths.writableLocation(QStandardPaths.GenericConfigLocation)
    return Path(base) / "dreamlayer" / "presets.json"


class PresetStore:
    """The painter's presets in one JSON file; a damaged file is logged and treated as empty."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_presets_path()

    def user_presets(self) -> list[Preset]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            presets = data["presets"]
            if not isinstance(presets, dict):
                raise TypeError("presets is not an object")
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable presets file %s: %s", self.path, exc)
            return []
        return [Preset(name, values) for name, values in sorted(presets.items()) if isinstance(values, dict)]

    def all(self) -> list[Preset]:
        """Built-ins first, then the painter's own in name order."""
        return list(BUILTIN) + self.user_presets()

    def find(self, name: str) -> Preset | None:
        return next((p for p in self.all() if p.name == name), None)

    def save(self, name: str, values: dict[str, Any]) -> Preset:
        """Save (or overwrite) one of the painter's presets; built-in names are taken."""
        name = name.strip()
        if not name:
            raise ValueError("a preset needs a name")
        if any(p.name == name for p in BUILTIN):
            raise ValueError(f"{name!r} is a built-in preset; choose another name")
        presets = {p.name: p.values for p in self.user_presets()}
        presets[name] = dict(values)
        self._write(presets)
        return Preset(name, dict(values))

    def delete(self, name: str) -> None:
        presets = {p.name: p.values for p in self.user_presets()}
        if presets.pop(name, None) is not None:
            self._write(presets)

    def _write(self, presets: dict[str, dict[str, Any]]) -> None:
        """Write atomically so a crash never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"version": PRESETS_FILE_VERSION, "presets": presets}, indent=2),
                             encoding="utf-8")
        os.replace(temporary, self.path)
