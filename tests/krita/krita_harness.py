"""Run Krita for real under Xvfb with a prepared HOME and a scenario script.

Kept apart from the test so the same steps can be run by hand while developing:
``python tests/krita/krita_harness.py SCENARIO.py [--home DIR]``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

Launcher = Callable[[list[str], dict[str, str]], list[str]]

HERE = Path(__file__).resolve().parent
DRIVER = "dreamlayer_testdriver"


def missing_tools() -> list[str]:
    """Programs the real-Krita test needs that are not installed here."""
    return [tool for tool in ("krita", "Xvfb", "xdpyinfo", "import") if shutil.which(tool) is None]


@dataclass
class Display:
    number: int
    process: subprocess.Popen

    @property
    def name(self) -> str:
        return f":{self.number}"

    def screenshot(self, path: Path) -> bool:
        done = subprocess.run(["import", "-display", self.name, "-window", "root", str(path)],
                              capture_output=True, timeout=60)
        return done.returncode == 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_display(size: str = "1400x900x24") -> Display:
    """Start our own Xvfb and wait until it answers.

    ``-noreset``: by default Xvfb resets when its last client leaves (our probe, a killed
    Krita), and a client connecting during the reset fails with "could not connect".
    """
    for number in range(91, 130):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            probe = subprocess.run(["xdpyinfo", "-display", f":{number}"], capture_output=True)
            if probe.returncode == 0:
                return Display(number, process)
            time.sleep(0.2)
        process.kill()
    raise RuntimeError("could not start Xvfb")


def prepare_home(home: Path, enabled: list[str]) -> None:
    """A HOME where Krita starts quietly with the test driver (and ``enabled`` plugins) on."""
    pykrita = home / ".local/share/krita/pykrita"
    pykrita.mkdir(parents=True, exist_ok=True)
    shutil.copytree(HERE / "driver" / DRIVER, pykrita / DRIVER, dirs_exist_ok=True)
    shutil.copy2(HERE / "driver" / f"{DRIVER}.desktop", pykrita / f"{DRIVER}.desktop")
    config = home / ".config"
    config.mkdir(parents=True, exist_ok=True)
    kritarc = config / "kritarc"
    lines = kritarc.read_text(encoding="utf-8").splitlines() if kritarc.exists() else []
    wanted = [f"enable_{name}=true" for name in [DRIVER, *enabled]]
    if "[python]" not in lines:
        lines += ["", "[python]"]
    at = lines.index("[python]") + 1
    lines[at:at] = [line for line in wanted if line not in lines]
    kritarc.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Run:
    returncode: int
    seconds: float
    log: str
    output: str
    timed_out: bool


def run_krita(home: Path, script: Path, display: Display, log: Path, timeout: float,
              env: dict[str, str] | None = None, timeout_shot: Path | None = None,
              launcher: Launcher | None = None) -> Run:
    """Run Krita once with the scenario; on timeout take a screenshot and kill it. ``launcher``: how to
    start Krita elsewhere (Debian 13's, see tests/gimp/trixie.py) with only the variables given."""
    environment = {} if launcher else {k: v for k, v in os.environ.items()
                                       if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    environment.update({"HOME": str(home), "DISPLAY": display.name, "QT_QPA_PLATFORM": "xcb",
                        "XDG_CONFIG_HOME": str(home / ".config"),
                        "XDG_DATA_HOME": str(home / ".local/share"),
                        "XDG_CACHE_HOME": str(home / ".cache"),
                        "XDG_RUNTIME_DIR": str(home / ".runtime"),
                        "DREAMLAYER_KRITA_SCRIPT": str(script), "DREAMLAYER_KRITA_LOG": str(log)})
    environment.update(env or {})
    (home / ".runtime").mkdir(mode=0o700, exist_ok=True)
    log.unlink(missing_ok=True)
    started = time.monotonic()
    command = ["krita", "--nosplash"]
    process = subprocess.Popen(launcher(command, environment) if launcher else command,
                               env=None if launcher else environment, cwd=str(home),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               process_group=0)
    timed_out = False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        if timeout_shot is not None:
            display.screenshot(timeout_shot)
        os.killpg(process.pid, 9)
        output, _ = process.communicate()
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return Run(process.returncode, time.monotonic() - started, text, output, timed_out)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("script", type=Path)
    parser.add_argument("--home", type=Path, default=Path("/tmp/dreamlayer-krita-home"))
    parser.add_argument("--enable", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args(argv)
    prepare_home(args.home, args.enable)
    display = start_display()
    try:
        run = run_krita(args.home, args.script.resolve(), display, args.home / "scenario.log",
                        args.timeout, timeout_shot=args.home / "timeout.png")
    finally:
        display.stop()
    print(run.output[-3000:])
    print(f"--- rc={run.returncode} {run.seconds:.1f}s timed_out={run.timed_out}\n{run.log}")
    return 0 if run.returncode == 0 and "FAILED" not in run.log and not run.timed_out else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
