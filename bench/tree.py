"""Import dreamlayer from another checkout laid out like this one, for before/after figures.

The editable install maps ``dreamlayer.engine`` onto this checkout's ``engine/`` whatever
``sys.path`` says, so putting another tree first on the path silently measured this one. A
finder placed ahead of it maps ``dreamlayer`` and ``dreamlayer.PART`` (a top-level folder
with an ``__init__.py``, as setup.py lays them out) onto the other tree instead.
"""
from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Optional

ENV = "DREAMLAYER_BENCH_TREE"


class _TreeFinder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def find_spec(self, name: str, path=None, target=None) -> Optional[ModuleSpec]:
        parts = name.split(".")
        if parts[0] != "dreamlayer" or len(parts) > 2:
            return None  # deeper modules follow their package's __path__, already in the tree
        folder = self.root / ("dreamlayer" if len(parts) == 1 else parts[1])
        init = folder / "__init__.py"
        if not init.is_file():
            return None  # a plain module of dreamlayer/ (settings, protocol, ...)
        return importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])


def use_tree(root: Path) -> None:
    """Make this process import dreamlayer from ``root``; call before anything imports it."""
    if any(name == "dreamlayer" or name.startswith("dreamlayer.") for name in sys.modules):
        raise RuntimeError("dreamlayer was imported before use_tree()")
    sys.meta_path.insert(0, _TreeFinder(Path(root).resolve()))


def engine_folder() -> Path:
    """Where the imported engine lives, to check which tree a measurement ran."""
    import dreamlayer.engine

    return Path(dreamlayer.engine.__file__).resolve().parent
