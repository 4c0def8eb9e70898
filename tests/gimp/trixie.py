"""Run Debian 13's editors (GIMP 3, Krita 5.2) from the tests, on this machine or in the cached chroot.

``.ci/gimp-chroot.sh`` installs them and records the root in ``$DREAMLAYER_CI_CACHE/root``
(default ``~/.cache/dreamlayer-ci``): ``/`` on a Debian 13 machine, else the trixie chroot. In the
chroot each command runs in a private mount namespace (``unshare``), so its mounts vanish with it:
/proc, /dev, /sys, /tmp (the tests' folders and the X display's socket), the checkout, and the
engine's Python with everything on its ``sys.path``, each at its own path. The engine's Python is
this machine's (glibc is backward compatible, and torch's wheels bring their own libraries), so
the chroot needs no second copy of torch.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent.parent
SETUP = REPO / ".ci" / "gimp-chroot.sh"
SYSTEM_BINDS = ("/proc", "/dev", "/sys", "/tmp")
PATH = "/usr/local/bin:/usr/bin:/bin"


def cache() -> Path:
    return Path(os.environ.get("DREAMLAYER_CI_CACHE") or Path.home() / ".cache" / "dreamlayer-ci")


def root() -> Optional[Path]:
    """Where Debian 13's editors are: ``/``, the chroot, or None if .ci/gimp-chroot.sh has not run."""
    try:
        found = Path((cache() / "root").read_text(encoding="utf-8").strip())
    except OSError:
        return None
    return found if (found / "usr/bin/gimp-console-3.0").exists() else None


def python_paths(python: str) -> list[str]:
    """What ``python`` needs to see to run: its prefixes, its executable and its ``sys.path``."""
    probe = ("import json, os, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
             "os.path.realpath(sys.executable), *sys.path]))")
    found = json.loads(subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True,
                                      cwd="/").stdout)
    return [path for path in found if path and os.path.isabs(path) and os.path.exists(path)]


def binds_for(paths: list[str], chroot: Path) -> list[str]:
    """The outermost of ``paths`` that are not the chroot's own (/usr is; /usr/lib/python3.11 is not)."""
    chosen: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths} | set(paths), key=len):
        if any(path == done or path.startswith(done.rstrip("/") + "/") for done in chosen):
            continue
        if _free(chroot / path.lstrip("/")):
            chosen.append(path)
    return chosen


def _free(target: Path) -> bool:
    """Nothing of the chroot's there: absent, or only empty mount points earlier runs left (a run that
    bound a folder inside this one, e.g. another checkout's venv, leaves its empty parents)."""
    if target.is_symlink() or not target.exists():
        return not target.is_symlink()
    return all(_free(child) for child in target.iterdir()) if target.is_dir() else target.stat().st_size == 0


@dataclass
class Trixie:
    """Commands on Debian 13: directly (``root`` is /) or in the chroot, seeing ``binds`` as here."""

    root: Path
    binds: tuple[str, ...] = ()

    @property
    def native(self) -> bool:
        return self.root == Path("/")

    def command(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """``argv`` with a clean ``env`` (nothing of this machine's Python leaks in)."""
        assignments = [f"{key}={value}" for key, value in {"PATH": PATH, "LANG": "C.UTF-8", **env}.items()]
        if self.native:
            return ["env", "-i", *assignments, *argv]
        lines = ["set -e", f"R={shlex.quote(str(self.root))}"]
        for path in (*SYSTEM_BINDS, *self.binds):
            quoted = shlex.quote(path)
            lines.append(f'if [ -d {quoted} ]; then mkdir -p "$R"{quoted}; '
                         f'else mkdir -p "$(dirname "$R"{quoted})"; [ -e "$R"{quoted} ] || : > "$R"{quoted}; fi')
            lines.append(f'mount --rbind {quoted} "$R"{quoted}')
        lines.append('exec chroot "$R" "$@"')
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", "\n".join(lines), "trixie",
                "env", "-i", *assignments, *argv]

    def run(self, argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        started = time.monotonic()
        try:
            done = subprocess.run(self.command(argv, env), capture_output=True, text=True, timeout=timeout,
                                  start_new_session=True)
        except subprocess.TimeoutExpired as expired:
            out = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
            return subprocess.CompletedProcess(argv, 124, out or "", f"timed out after {timeout:.0f} s")
        done.args = argv
        done.seconds = time.monotonic() - started  # type: ignore[attr-defined]
        return done


def trixie_for(engine_python: str) -> Optional[Trixie]:
    """Debian 13 set up to run ``engine_python`` and this checkout; None if .ci/gimp-chroot.sh has not run."""
    found = root()
    if found is None:
        return None
    if found == Path("/"):
        return Trixie(found)
    needed = [str(REPO), *python_paths(engine_python), os.path.abspath(engine_python)]
    return Trixie(found, tuple(binds_for(needed, found)))


def missing_tools() -> list[str]:
    """What the GIMP tests need on this machine besides Debian 13's editors."""
    return [tool for tool in ("Xvfb", "xdpyinfo", "import", "xdotool", "unshare") if shutil.which(tool) is None]
