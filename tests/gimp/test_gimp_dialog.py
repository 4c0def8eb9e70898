"""GIMP 3 with windows: Filters › Artistic › Dream… opens the Dream dialog (Krita's, in the engine's Python),
which ``drive_dialog.py`` drives to Preview and Apply; then one Ctrl+Z in GIMP undoes the dream.

Screenshots of the whole screen with the dialog over GIMP (``screen-dialog.png``), of the dialog
(``dialog-preview.png``), of GIMP after Apply and after the undo stay in the test's folder, with
``timings.json``: seconds from Dream… to the dialog, the engine ready and the first preview.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "krita"))

from krita_harness import Display, start_display  # noqa: E402
from test_gimp_e2e import CHECKS, SCENARIO, _why_not, install_plugin, read_checks, write_scenario  # noqa: E402
from trixie import trixie_for  # noqa: E402

HERE = Path(__file__).resolve().parent
TIMEOUT = 480
UNDO = ("one undo restores the layers", "one undo keeps the source as it was",
        "the selection is still there after the undo")

pytestmark = [pytest.mark.editor, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "runs")]


def engine_stand_in(folder: Path) -> Path:
    """An engine "Python" that runs ``drive_dialog.py`` where the plug-in starts the bridge."""
    script = folder / "engine-python"
    script.write_text("#!/bin/sh\n"
                      'if [ "$1" = -m ] && [ "$2" = dreamlayer.plugin.gimp.bridge ]; then\n'
                      f'    shift 2; exec {sys.executable} {HERE / "drive_dialog.py"} "$@"\n'
                      "fi\n"
                      f'exec {sys.executable} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


def _type_undo(display: str) -> None:
    """Ctrl+Z over GIMP's canvas (no window manager: the window under the pointer has the keys)."""
    env = dict(os.environ, DISPLAY=display)
    subprocess.run(["xdotool", "mousemove", "700", "450"], env=env, timeout=30, check=False)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "ctrl+z"], env=env, timeout=30, check=False)


def _open_gimp_menu(display: Display, shot: Path) -> None:
    """A menu of GIMP's menu bar (Select), opened while the dialog is up: GIMP stays usable (the shot shows it)."""
    env = dict(os.environ, DISPLAY=display.name)
    subprocess.run(["xdotool", "mousemove", "107", "12", "click", "1"], env=env, timeout=30, check=False)
    time.sleep(1.0)
    display.screenshot(shot)
    subprocess.run(["xdotool", "key", "Escape"], env=env, timeout=30, check=False)


@pytest.fixture(scope="module")
def dialog_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("gimp-dialog")
    home = out / "home"
    plug_ins = install_plugin(home)
    subprocess.run([sys.executable, "-m", "dreamlayer", "install", "gimp", "--plug-ins", str(plug_ins),
                    "--engine-python", str(engine_stand_in(out))], check=True, capture_output=True, timeout=300)
    scenario = write_scenario(out, "dialog", {}, 640, 480)
    gimp = trixie_for(sys.executable)
    assert gimp is not None
    display = start_display()
    # What a bundled GIMP sets for its own Python and libraries: the engine must not inherit it.
    env = {"HOME": str(home), "DISPLAY": display.name, "DREAMLAYER_SCENARIO": str(scenario),
           "DREAMLAYER_DRIVE_OUT": str(out), "PYTHONPATH": "/gimp/lib/python3/site-packages",
           "LD_LIBRARY_PATH": "/gimp/lib"}
    command = gimp.command(["gimp-3.0", "-n", "-s", "-d", "-f", "--batch-interpreter=python-fu-eval", "-b",
                            f"exec(open({str(SCENARIO)!r}).read())", "--quit"], env)
    log = out / "gimp.log"
    shots: list[str] = []
    started = time.monotonic()
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while process.poll() is None and time.monotonic() - started < TIMEOUT:
                if (out / "dialog-preview").exists() and "screen-dialog.png" not in shots:
                    display.screenshot(out / "screen-dialog.png")
                    shots.append("screen-dialog.png")
                    _open_gimp_menu(display, out / "screen-gimp-menu.png")
                    (out / "shot-dialog").touch()
                if (out / "applied").exists() and "screen-applied.png" not in shots:
                    time.sleep(1.0)  # GIMP redraws the canvas after the plug-in returns
                    display.screenshot(out / "screen-applied.png")
                    shots.append("screen-applied.png")
                    _type_undo(display.name)
                    time.sleep(1.0)
                    display.screenshot(out / "screen-undone.png")
                    (out / "undone").touch()
                time.sleep(0.2)
            if process.poll() is None:
                display.screenshot(out / "screen-timeout.png")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        finally:
            display.stop()
    text = log.read_text(encoding="utf-8", errors="replace")
    results = read_checks(out, text)
    driver = out / "driver.json"
    results["driver"] = json.loads(driver.read_text(encoding="utf-8")) if driver.exists() else {}
    results["output"], results["out"] = text, out
    _record_timings(results)
    return results


def _record_timings(results: dict) -> None:
    """Seconds from Dream… (the procedure's call) to the dialog, the engine ready and the first preview."""
    driver, facts = results["driver"], results["facts"]
    called = facts.get("called")
    if called is None:
        return
    timings = {name: round(driver[name] - called, 2) for name in ("dialog_shown", "engine_ready", "first_preview")
               if name in driver}
    (results["out"] / "timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")
    results["timings"] = timings


def _explain(results: dict) -> str:
    return (f"files in {results['out']}; facts {json.dumps(results['facts'])[:2000]}; driver "
            f"{json.dumps(results['driver'])[:1000]}\n{results['output'][-3000:]}")


@pytest.mark.parametrize("name", CHECKS)
def test_the_dialog_applies_a_dream(dialog_run: dict, name: str) -> None:
    assert dialog_run["checks"].get(f"RGB 8-bit: {name}"), _explain(dialog_run)


@pytest.mark.parametrize("name", UNDO)
def test_one_undo_in_gimp_restores_the_image(dialog_run: dict, name: str) -> None:
    assert dialog_run["checks"].get(name), _explain(dialog_run)


def test_the_dialog_showed_a_preview_and_the_engine_got_a_clean_environment(dialog_run: dict) -> None:
    driver = dialog_run["driver"]
    assert "first_preview" in driver and "apply_clicked" in driver and not driver.get("gave_up"), \
        _explain(dialog_run)
    assert driver["foreign_environment"] == [], driver
    assert driver["result"]["status"] == "applied"
    for shot in ("dialog-preview.png", "screen-dialog.png", "screen-gimp-menu.png", "screen-applied.png",
                 "screen-undone.png"):
        assert (dialog_run["out"] / shot).stat().st_size > 10_000, shot
    print(f"Dream… to: {dialog_run.get('timings')} (seconds); screenshots in {dialog_run['out']}")
