"""``dreamlayer install gimp`` / ``uninstall gimp``: the folder GIMP 3 runs, wired to the engine's Python."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dreamlayer.installer import gimp
from dreamlayer.settings import DreamSettings


def _locations(tmp_path: Path) -> gimp.Locations:
    return gimp.Locations(tmp_path / "config/GIMP/3.0/plug-ins", tmp_path / "home")


def test_install_puts_an_executable_script_in_a_folder_of_the_same_name(tmp_path: Path) -> None:
    locations = _locations(tmp_path)
    folder = gimp.install(locations, sys.executable, check=False)
    script = folder / "dreamlayer_gimp.py"
    assert folder == locations.plug_ins / "dreamlayer_gimp" and script.is_file()
    assert os.access(script, os.X_OK)
    record = json.loads((folder / "install.json").read_text(encoding="utf-8"))
    assert record["engine_python"] == os.path.abspath(sys.executable)
    assert record["defaults"] == DreamSettings().to_dict()  # the procedure's argument defaults come from here


def test_install_twice_leaves_one_plugin_and_no_leftovers(tmp_path: Path) -> None:
    locations = _locations(tmp_path)
    gimp.install(locations, sys.executable, check=False)
    gimp.install(locations, sys.executable, check=False)
    assert sorted(p.name for p in locations.plug_ins.iterdir()) == ["dreamlayer_gimp"]
    assert gimp.uninstall(locations)
    assert list(locations.plug_ins.iterdir()) == []
    assert not gimp.uninstall(locations)


def test_install_refuses_a_python_without_the_engine(tmp_path: Path) -> None:
    with pytest.raises(gimp.InstallError, match="not an executable Python"):
        gimp.install(_locations(tmp_path), str(tmp_path / "missing-python"))
    assert not (_locations(tmp_path).plugin).exists()


def test_the_newest_gimp_3_folder_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert gimp.default_locations(tmp_path).plug_ins == tmp_path / "config/GIMP/3.0/plug-ins"
    for series in ("2.10", "3.0", "3.2"):
        (tmp_path / "config/GIMP" / series).mkdir(parents=True)
    assert gimp.default_locations(tmp_path).plug_ins == tmp_path / "config/GIMP/3.2/plug-ins"


def test_flatpak_and_snap_gimp_are_explained(tmp_path: Path) -> None:
    locations = _locations(tmp_path)
    (locations.home / ".var/app/org.gimp.GIMP").mkdir(parents=True)
    (locations.home / "snap/gimp").mkdir(parents=True)
    notes = gimp.sandboxed_gimps(locations)
    assert any("Flatpak" in note and "sandbox" in note for note in notes)
    assert any("Snap" in note for note in notes)


def test_the_command_line_says_where(tmp_path: Path) -> None:
    plug_ins = tmp_path / "plug-ins"
    command = [sys.executable, "-m", "dreamlayer"]
    done = subprocess.run([*command, "install", "gimp", "--no-check", "--plug-ins", str(plug_ins)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert str(plug_ins / "dreamlayer_gimp") in done.stdout and "Filters > Artistic > Dream" in done.stdout
    done = subprocess.run([*command, "uninstall", "gimp", "--plug-ins", str(plug_ins)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Removed" in done.stdout
    assert not (plug_ins / "dreamlayer_gimp").exists()
