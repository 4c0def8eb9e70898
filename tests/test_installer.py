"""``dreamlayer install krita`` / ``uninstall krita`` against temporary pykrita folders and kritarc files."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dreamlayer.installer import cli, krita as installer
from dreamlayer.installer.krita import PLUGIN, InstallError, Locations

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture
def where(tmp_path: Path) -> Locations:
    return Locations(tmp_path / "share/krita/pykrita", tmp_path / "config/kritarc")


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_install_puts_plugin_desktop_switch_and_engine_record(where):
    folder = installer.install(where, sys.executable, check=False)
    assert folder == where.pykrita / PLUGIN
    desktop = where.desktop.read_text()
    assert "ServiceTypes=Krita/PythonPlugin" in desktop and f"X-KDE-Library={PLUGIN}" in desktop
    assert where.kritarc.read_text() == f"[python]\nenable_{PLUGIN}=true\n"
    record = json.loads((folder / "install.json").read_text())
    assert record["engine_python"] == sys.executable
    vendored = folder / "vendor/dreamlayer"
    for module in ("__init__.py", "settings.py", "pixels.py", "protocol.py", "ui/session.py",
                   "plugin/krita/extension.py", "plugin/krita/adapter.py"):
        assert (vendored / module).is_file(), module
    assert not (vendored / "cli.py").exists() and not (vendored / "__main__.py").exists()
    assert not (vendored / "engine").exists() and not (vendored / "installer").exists()
    assert not list(folder.rglob("__pycache__"))


def test_nothing_vendored_imports_numpy_or_torch(where):
    folder = installer.install(where, sys.executable, check=False)
    pattern = re.compile(r"^\s*(import|from)\s+(numpy|torch|torchvision|PIL|dreamlayer\.engine)\b", re.M)
    offenders = [str(path) for path in folder.rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason="no system Python to play Krita's")
def test_the_vendored_plugin_imports_without_the_venv(where):
    """Like Krita's Python: the system interpreter, no venv, numpy and torch made unimportable."""
    probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import PyQt5.QtWidgets"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("the system Python has no PyQt5")
    folder = installer.install(where, sys.executable, check=False)
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('numpy', 'torch', 'PIL'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.path.insert(0, {str(folder / 'vendor')!r})\n"
        "import dreamlayer.plugin.krita.command, dreamlayer.plugin.krita.apply, dreamlayer.ui.session\n"
        "print(dreamlayer.__file__)\n")
    done = subprocess.run([SYSTEM_PYTHON, "-I", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(folder))


def test_install_twice_is_the_same_install(where):
    where.kritarc.parent.mkdir(parents=True)
    where.kritarc.write_text("[General]\nfoo=1\n")
    installer.install(where, sys.executable, check=False)
    first, first_rc = tree(where.pykrita), where.kritarc.read_text()
    installer.install(where, sys.executable, check=False)
    assert tree(where.pykrita) == first
    assert where.kritarc.read_text() == first_rc
    assert first_rc.count(f"enable_{PLUGIN}") == 1
    assert [path.name for path in where.pykrita.iterdir()] in ([PLUGIN, f"{PLUGIN}.desktop"],
                                                               [f"{PLUGIN}.desktop", PLUGIN])


@pytest.mark.parametrize("original", [
    "",
    "[General]\nfoo=1\n",
    "[General]\r\nfoo=1\r\n",
    "[python]\nenable_other=true\n\n[General]\nfoo=1\n",
    f"[python]\nenable_{PLUGIN}=false\nenable_other=true\n",
    "; a comment\n[MainWindow]\nState=AAAA==\n[python]\n",
], ids=["empty", "plain", "crlf", "other-plugin", "disabled-before", "comment-empty-section"])
def test_uninstall_puts_kritarc_back_exactly(where, original):
    where.kritarc.parent.mkdir(parents=True)
    where.kritarc.write_bytes(original.encode())
    installer.install(where, sys.executable, check=False)
    assert f"enable_{PLUGIN}=true" in where.kritarc.read_text()
    assert installer.uninstall(where)
    assert where.kritarc.read_bytes() == original.encode()
    assert list(where.pykrita.iterdir()) == []


def test_uninstall_keeps_what_krita_added_meanwhile(where):
    installer.install(where, sys.executable, check=False)
    where.kritarc.write_text(where.kritarc.read_text() + "enable_other=true\n[General]\nfoo=1\n")
    installer.uninstall(where)
    assert where.kritarc.read_text() == "[python]\nenable_other=true\n[General]\nfoo=1\n"


def test_uninstall_when_not_installed_changes_nothing(where):
    where.kritarc.parent.mkdir(parents=True)
    where.kritarc.write_text("[python]\nenable_other=true\n")
    assert not installer.uninstall(where)
    assert where.kritarc.read_text() == "[python]\nenable_other=true\n"


def test_an_interrupted_install_leaves_the_previous_plugin_working(where, monkeypatch):
    installer.install(where, "/old/python", check=False)
    before, before_rc = tree(where.pykrita), where.kritarc.read_text()
    copied = []

    def copy_then_die(source, target, **kwargs):
        copied.append(target)
        if len(copied) == 2:
            raise KeyboardInterrupt
        return shutil.copytree(source, target, **kwargs)

    monkeypatch.setattr(installer.shutil, "copytree", copy_then_die)
    with pytest.raises(KeyboardInterrupt):
        installer.install(where, "/new/python", check=False)
    assert tree(where.pykrita) == before
    assert where.kritarc.read_text() == before_rc


def test_an_interrupted_first_install_leaves_no_plugin(where, monkeypatch):
    def die(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(installer.shutil, "copytree", die)
    with pytest.raises(KeyboardInterrupt):
        installer.install(where, sys.executable, check=False)
    assert list(where.pykrita.iterdir()) == []
    assert not where.kritarc.exists()


def test_a_missing_engine_python_is_refused(where):
    with pytest.raises(InstallError, match="not an executable Python"):
        installer.install(where, "/no/such/python")
    assert not where.pykrita.exists() or list(where.pykrita.iterdir()) == []


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason="no system Python")
def test_a_python_without_the_engine_is_refused(where):
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the system Python has torch")
    with pytest.raises(InstallError, match="cannot import torch and dreamlayer.engine"):
        installer.install(where, SYSTEM_PYTHON)


def test_the_engine_python_check_accepts_this_environment():
    installer.check_engine_python(sys.executable)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dreamlayer")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_install_and_uninstall(where, capsys):
    paths = ["--pykrita", str(where.pykrita), "--kritarc", str(where.kritarc)]
    assert run_cli("install", "krita", "--engine-python", sys.executable, "--no-check", *paths) == 0
    assert "Filter > Dream" in capsys.readouterr().out
    assert (where.plugin / "install.json").exists()
    assert run_cli("uninstall", "krita", *paths) == 0
    assert not where.plugin.exists() and not where.desktop.exists()
    assert run_cli("uninstall", "krita", *paths) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_cli_bad_engine_python_is_one_line(where, capsys):
    code = run_cli("install", "krita", "--engine-python", "/no/such/python",
                   "--pykrita", str(where.pykrita), "--kritarc", str(where.kritarc))
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "not an executable Python" in err


def test_default_locations_follow_xdg(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert installer.default_locations() == Locations(tmp_path / "data/krita/pykrita", tmp_path / "config/kritarc")
