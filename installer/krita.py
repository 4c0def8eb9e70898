"""Install and uninstall the Krita plugin: files in pykrita, one switch in kritarc.

An install is built in a staging folder and renamed into place, so an interrupted run
leaves either the previous plugin or the new one, never a half-copied folder, and the
``.desktop`` file (without which Krita ignores the folder) and the kritarc switch only
change after the folder is complete. Krita's Python has no numpy or torch and cannot see
the engine's environment, so the plugin carries a copy of the standard-library-and-PyQt
parts of dreamlayer (``vendor/``) and a record of which Python runs the engine.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Optional

from dreamlayer.plugin.krita.config import CONFIG_NAME

PLUGIN = "dreamlayer_krita"
SECTION = "[python]"
SWITCH = f"enable_{PLUGIN}"
VENDORED_PACKAGES = ("ui", "plugin")
ALLOWED_ROOTS = frozenset(sys.stdlib_module_names) | {"PyQt5", "PyQt6", "krita", "dreamlayer"}
SKIPPED = ("__pycache__", "*.pyc", "*.pyo")

ENTRY = '''"""dreamlayer for Krita, installed by `dreamlayer install krita`; do not edit."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_VENDOR = os.path.join(_HERE, "vendor")
if _VENDOR not in sys.path:
    sys.path.insert(0, _VENDOR)

from dreamlayer.plugin.krita.extension import register  # noqa: E402

register(_HERE)
'''


class InstallError(RuntimeError):
    """The install cannot go ahead; the message is one line for the user."""


@dataclass(frozen=True)
class Locations:
    """Where Krita looks: its pykrita folder and its settings file."""

    pykrita: Path
    kritarc: Path

    @property
    def plugin(self) -> Path:
        return self.pykrita / PLUGIN

    @property
    def desktop(self) -> Path:
        return self.pykrita / f"{PLUGIN}.desktop"


def default_locations(home: Optional[Path] = None) -> Locations:
    """Krita's per-user folders on this platform (XDG variables respected on Linux)."""
    home = home or Path.home()
    if sys.platform == "win32":
        roaming = Path(os.environ.get("APPDATA", home / "AppData/Roaming"))
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData/Local"))
        return Locations(roaming / "krita/pykrita", local / "kritarc")
    if sys.platform == "darwin":
        return Locations(home / "Library/Application Support/krita/pykrita",
                         home / "Library/Preferences/kritarc")
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local/share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return Locations(data / "krita/pykrita", config / "kritarc")


def check_engine_python(python: str) -> None:
    """Fail early, with a useful message, if ``python`` cannot run the dream engine."""
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise InstallError(f"{python} is not an executable Python; pass --engine-python PATH.")
    # torch, or ONNX Runtime for an engine installed without torch (dreamlayer[onnx])
    probe = ("import importlib.util as u, sys; sys.exit(0 if (u.find_spec('torch') or u.find_spec('onnxruntime')) "
             "and u.find_spec('dreamlayer.engine') else 3)")
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallError(f"{python} could not be run: {error}") from None
    if done.returncode != 0:
        raise InstallError(f"{python} cannot import torch and dreamlayer.engine (nor onnxruntime); pass the "
                           "Python of the environment where dreamlayer[engine] or dreamlayer[onnx] is installed "
                           "with --engine-python PATH.")


def _imports(path: Path) -> list[str]:
    """Modules a file imports (``from a import b`` gives ``a`` and ``a.b``), ignoring TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        pending.extend(ast.iter_child_nodes(node))
    return found


def _unsafe_import(path: Path, vendored: set[str]) -> Optional[str]:
    """The first import of ``path`` that Krita's Python could not satisfy, if any."""
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] not in ALLOWED_ROOTS:
            return name
        if parts[0] == "dreamlayer" and len(parts) > 1 and parts[1] not in vendored \
                and parts[1] in _root_modules():
            return name
    return None


def _root_dir() -> Path:
    return _folder(importlib.import_module("dreamlayer"))


def _root_modules() -> set[str]:
    names = {path.stem for path in _root_dir().glob("*.py")}
    return names | {"engine", "installer", *VENDORED_PACKAGES}


def _package_dir(name: str) -> Path:
    try:
        return _folder(importlib.import_module(f"dreamlayer.{name}"))
    except ImportError as error:
        raise InstallError(f"dreamlayer.{name} is missing from this installation ({error}).") from None


def _folder(package: ModuleType) -> Path:
    """The folder of an imported package; a namespace package (no __init__.py) has none to copy."""
    if package.__file__ is None:
        raise InstallError(f"{package.__name__} has no __init__.py in this installation.")
    return Path(package.__file__).parent


def vendor_plan() -> dict[str, Path]:
    """What goes into ``vendor/dreamlayer``: relative name -> source file or folder.

    Root modules whose imports Krita cannot satisfy (the command line, which reaches
    the engine) are left out; ``ui`` and the Krita plugin must be Krita-safe throughout.
    Other editors' adapters under ``plugin/`` stay behind.
    """
    root = {path.stem: path for path in sorted(_root_dir().glob("*.py"))}
    vendored = set(root) | set(VENDORED_PACKAGES)
    changed = True
    while changed:
        changed = False
        for stem in list(root):
            if _unsafe_import(root[stem], vendored):
                del root[stem]
                vendored.discard(stem)
                changed = True
    plan: dict[str, Path] = {f"{stem}.py": path for stem, path in root.items()}
    plugin = _package_dir("plugin")
    plan.update({"ui": _package_dir("ui"), "plugin/__init__.py": plugin / "__init__.py",
                 "plugin/krita": plugin / "krita"})
    for source in plan.values():
        for path in sorted(source.rglob("*.py")) if source.is_dir() else [source]:
            bad = None if "__pycache__" in path.parts else _unsafe_import(path, vendored)
            if bad:
                raise InstallError(f"{path} imports {bad}, which Krita's Python does not have.")
    return plan


def _build(staging: Path, engine_python: str, kritarc_record: dict) -> None:
    vendor = staging / "vendor" / "dreamlayer"
    vendor.mkdir(parents=True)
    for name, source in vendor_plan().items():
        (vendor / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, vendor / name, ignore=shutil.ignore_patterns(*SKIPPED))
        else:
            shutil.copy2(source, vendor / name)
    (staging / "__init__.py").write_text(ENTRY, encoding="utf-8")
    record = {"engine_python": engine_python, **kritarc_record}
    (staging / CONFIG_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.dreamlayer-{os.getpid()}")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _find_switch(lines: list[str]) -> tuple[Optional[int], Optional[int]]:
    """Index of the ``[python]`` header and of our ``enable_`` line inside that section."""
    header = switch = None
    section = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped
            if stripped == SECTION and header is None:
                header = index
        elif section == SECTION and switch is None and stripped.split("=", 1)[0].strip() == SWITCH:
            switch = index
    return header, switch


def _read_lines(kritarc: Path) -> tuple[list[str], str]:
    text = kritarc.read_bytes().decode("utf-8") if kritarc.exists() else ""
    return text.splitlines(), "\r\n" if "\r\n" in text else "\n"


def kritarc_state(kritarc: Path) -> dict:
    """What kritarc says about the plugin before install touches it (for an exact uninstall)."""
    lines, _ = _read_lines(kritarc)
    header, switch = _find_switch(lines)
    return {"kritarc": str(kritarc), "added_section": header is None,
            "previous_switch": None if switch is None else lines[switch]}


def enable_in_kritarc(kritarc: Path) -> None:
    """Set ``[python] enable_dreamlayer_krita=true``, leaving every other line as it was.

    Hand-edited rather than rewritten with configparser, which would reformat and drop
    comments in the user's whole settings file.
    """
    lines, newline = _read_lines(kritarc)
    header, switch = _find_switch(lines)
    wanted = f"{SWITCH}=true"
    if switch is not None:
        lines[switch] = wanted
    elif header is not None:
        lines.insert(header + 1, wanted)
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines += [SECTION, wanted]
    _write_atomically(kritarc, newline.join(lines) + newline)


def restore_kritarc(kritarc: Path, record: dict) -> None:
    """Undo ``enable_in_kritarc``: the previous switch line back, or ours (and a section we added) gone."""
    if not kritarc.exists():
        return
    lines, newline = _read_lines(kritarc)
    header, switch = _find_switch(lines)
    if header is None or switch is None:
        return
    if record.get("previous_switch") is not None:
        lines[switch] = record["previous_switch"]
    else:
        del lines[switch]
        end = next((i for i in range(header + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines))
        if record.get("added_section") and not any(line.strip() for line in lines[header + 1:end]):
            at_end = end == len(lines)
            del lines[header:end]
            if at_end and header > 0 and not lines[header - 1].strip():
                del lines[header - 1]
    _write_atomically(kritarc, newline.join(lines) + (newline if lines else ""))


def _previous_record(locations: Locations) -> Optional[dict]:
    try:
        return json.loads((locations.plugin / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _clean_leftovers(pykrita: Path) -> None:
    for leftover in pykrita.glob(f".{PLUGIN}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def install(locations: Locations, engine_python: str, check: bool = True) -> Path:
    """Install (or reinstall over) the plugin; return the plugin folder.

    Order matters: the complete folder first (one rename), then the ``.desktop`` file,
    then the kritarc switch; Krita loads nothing until all three are there.
    """
    engine_python = os.path.abspath(engine_python)
    if check:
        check_engine_python(engine_python)
    desktop = (_package_dir("plugin") / "krita" / f"{PLUGIN}.desktop").read_text(encoding="utf-8")
    locations.pykrita.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(locations.pykrita)
    previous = _previous_record(locations)
    if previous and "previous_switch" in previous:
        kritarc_record = {key: previous.get(key) for key in ("kritarc", "added_section", "previous_switch")}
    else:
        kritarc_record = kritarc_state(locations.kritarc)
    staging = locations.pykrita / f".{PLUGIN}.new-{os.getpid()}"
    retired = locations.pykrita / f".{PLUGIN}.old-{os.getpid()}"
    try:
        _build(staging, engine_python, kritarc_record)
        if locations.plugin.exists():
            os.rename(locations.plugin, retired)
        os.rename(staging, locations.plugin)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    _write_atomically(locations.desktop, desktop)
    enable_in_kritarc(locations.kritarc)
    return locations.plugin


def uninstall(locations: Locations) -> bool:
    """Remove what ``install`` put in place; False if nothing was installed."""
    record = _previous_record(locations) or {}
    found = locations.plugin.exists() or locations.desktop.exists()
    locations.desktop.unlink(missing_ok=True)
    kritarc = Path(record.get("kritarc") or locations.kritarc)
    if found:
        restore_kritarc(kritarc, record)
    if locations.plugin.exists():
        retired = locations.pykrita / f".{PLUGIN}.old-{os.getpid()}"
        os.rename(locations.plugin, retired)
        shutil.rmtree(retired, ignore_errors=True)
    _clean_leftovers(locations.pykrita)
    return found
