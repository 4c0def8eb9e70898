"""Install and uninstall the GIMP 3 plug-in: one folder in GIMP's per-user plug-ins folder.

GIMP 3 runs ``plug-ins/<name>/<name>.py`` (folder and file share the name, the file executable)
with its own Python, which cannot import torch or Qt; the plug-in starts the engine's Python,
whose path it reads from ``install.json`` beside it. The folder is built in a staging folder
and renamed into place, so an interrupted install leaves the previous plug-in or the new one.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dreamlayer.installer.krita import InstallError, check_engine_python
from dreamlayer.settings import DreamSettings

PLUGIN = "dreamlayer_gimp"
CONFIG_NAME = "install.json"
GIMP_SERIES = "3.0"  # the per-user folder of GIMP 3.0; 3.2 and later have their own (GIMP/3.2, ...)
FLATPAK_ID = "org.gimp.GIMP"


@dataclass(frozen=True)
class Locations:
    """GIMP's per-user plug-ins folder, and the home the sandboxed GIMPs would use."""

    plug_ins: Path
    home: Path

    @property
    def plugin(self) -> Path:
        return self.plug_ins / PLUGIN

    @property
    def script(self) -> Path:
        return self.plugin / f"{PLUGIN}.py"


def default_locations(home: Optional[Path] = None) -> Locations:
    """GIMP 3's per-user plug-ins folder on this platform (XDG_CONFIG_HOME respected on Linux)."""
    home = home or Path.home()
    if sys.platform == "win32":
        config = Path(os.environ.get("APPDATA", home / "AppData/Roaming")) / "GIMP"
    elif sys.platform == "darwin":
        config = home / "Library/Application Support/GIMP"
    else:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP"
    return Locations(config / _series(config) / "plug-ins", home)


def _series(config: Path) -> str:
    """The newest GIMP 3 series that has started for this user (its folder exists), else 3.0."""
    found = [path.name for path in config.glob("3.*") if path.is_dir() and path.name[2:].isdigit()]
    return max(found, key=lambda name: int(name[2:]), default=GIMP_SERIES)


def sandboxed_gimps(locations: Locations) -> list[str]:
    """Why a GIMP found on this machine will not see the plug-in or cannot start the engine, one line each.

    A Flatpak or Snap GIMP reads its own config folder inside the sandbox and cannot run a Python
    outside it (the same limit openvino-ai-plugins-gimp documents)."""
    found = []
    flatpak = locations.home / ".var/app" / FLATPAK_ID
    if flatpak.exists() or Path("/var/lib/flatpak/app", FLATPAK_ID).exists():
        found.append(f"A Flatpak GIMP ({FLATPAK_ID}) is installed: it reads plug-ins from {flatpak}/config/GIMP/"
                     f"{GIMP_SERIES}/plug-ins and its sandbox cannot start the engine's Python, so Dream will not "
                     "work there; use your distribution's GIMP 3 package (or GIMP's AppImage).")
    if (locations.home / "snap/gimp").exists() or Path("/snap/gimp").exists():
        found.append("A Snap GIMP is installed: its confinement hides this plug-ins folder and the engine's Python "
                     "from it, so Dream will not work there; use your distribution's GIMP 3 package.")
    return found


def _record(engine_python: str) -> dict:
    """What the plug-in reads at start: the engine's Python, and the settings' defaults for its arguments."""
    return {"engine_python": engine_python, "defaults": DreamSettings().to_dict()}


def plugin_source() -> Path:
    """The plug-in script as installed with dreamlayer (``dreamlayer.plugin.gimp``)."""
    from dreamlayer.plugin import gimp

    return Path(gimp.__file__).parent / f"{PLUGIN}.py"


def install(locations: Locations, engine_python: str, check: bool = True) -> Path:
    """Install (or reinstall over) the plug-in; its folder."""
    engine_python = os.path.abspath(engine_python)
    if check:
        check_engine_python(engine_python)
    source = plugin_source()
    if not source.is_file():
        raise InstallError(f"{source} is missing from this installation of dreamlayer.")
    locations.plug_ins.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(locations.plug_ins)
    staging = locations.plug_ins / f".{PLUGIN}.new-{os.getpid()}"
    retired = locations.plug_ins / f".{PLUGIN}.old-{os.getpid()}"
    try:
        staging.mkdir()
        script = staging / f"{PLUGIN}.py"
        shutil.copyfile(source, script)
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (staging / CONFIG_NAME).write_text(json.dumps(_record(engine_python), indent=2) + "\n", encoding="utf-8")
        if locations.plugin.exists():
            os.rename(locations.plugin, retired)
        os.rename(staging, locations.plugin)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return locations.plugin


def uninstall(locations: Locations) -> bool:
    """Remove the plug-in's folder; False if it was not there."""
    found = locations.plugin.exists()
    if found:
        retired = locations.plug_ins / f".{PLUGIN}.old-{os.getpid()}"
        os.rename(locations.plugin, retired)
        shutil.rmtree(retired, ignore_errors=True)
    if locations.plug_ins.exists():
        _clean_leftovers(locations.plug_ins)
    return found


def _clean_leftovers(plug_ins: Path) -> None:
    for leftover in plug_ins.glob(f".{PLUGIN}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
