"""GIMP 3 for real: the plug-in installed by ``dreamlayer install gimp``, called in batch on a photo with
a soft selection, in RGB and grey at 8 bits, 16 bits and 32-bit float.

GIMP 3 is Debian 13's, on this machine or in the chroot ``.ci/gimp-chroot.sh`` builds (see
``trixie.py``); the engine is this Python. Each check ``gimp_scenario.py`` records inside GIMP is a
test here. Skips, saying why, where that set-up has not run.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trixie import REPO, missing_tools, root, trixie_for  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "gimp_scenario.py"
SETTINGS = {"steps": 3, "octaves": 2}  # few steps: the checks need a change, not a good picture
VARIANTS = ("RGB 8-bit", "RGB 16-bit", "RGB 32-bit float", "grey 8-bit", "grey 16-bit")
CHECKS = ("the selection is soft", "the dream succeeded", "one new layer", "the new layer sits right above the source",
          "the new layer is named after the settings", "the new layer has a mask",
          "the mask equals the (soft) selection", "the source layer is untouched",
          "there are pixels inside and outside the selection", "pixels inside the selection changed",
          "the dream keeps the source's alpha", "pixels outside the selection unchanged")
TIMEOUT = 600


def _why_not() -> str:
    if root() is None:
        return "Debian 13's GIMP 3 is not set up here (CI runs .ci/gimp-chroot.sh)"
    if missing_tools():
        return f"not installed here: {', '.join(missing_tools())}"
    if importlib.util.find_spec("torch") is None:
        return "the dream engine needs torch"
    return ""


pytestmark = [pytest.mark.editor, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "runs")]


def install_plugin(home: Path) -> Path:
    """``dreamlayer install gimp`` as a painter runs it, into ``home``'s GIMP 3 folder."""
    plug_ins = home / ".config/GIMP/3.0/plug-ins"
    done = subprocess.run([sys.executable, "-m", "dreamlayer", "install", "gimp", "--plug-ins", str(plug_ins)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return plug_ins


def write_scenario(out: Path, mode: str, settings: dict, width: int = 160, height: int = 120) -> Path:
    """The photo (the README's cat, shrunk) and the scenario file ``gimp_scenario.py`` reads."""
    photo = out / "photo.png"
    Image.open(REPO / "examples" / "cat.jpg").convert("RGB").resize((width, height), Image.LANCZOS).save(photo)
    scenario = out / "scenario.json"
    scenario.write_text(json.dumps({"photo": str(photo), "out": str(out), "mode": mode, "feather": 20.0,
                                    "settings": settings}), encoding="utf-8")
    return scenario


def read_checks(out: Path, output: str) -> dict:
    path = out / "checks.json"
    assert path.exists(), f"the scenario wrote no checks; GIMP said:\n{output[-4000:]}"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("gimp-batch")
    home = out / "home"
    install_plugin(home)
    scenario = write_scenario(out, "batch", SETTINGS)
    gimp = trixie_for(sys.executable)
    assert gimp is not None
    done = gimp.run(["gimp-console-3.0", "-i", "-d", "-f", "--batch-interpreter=python-fu-eval", "-b",
                     f"exec(open({str(SCENARIO)!r}).read())", "--quit"],
                    {"HOME": str(home), "DREAMLAYER_SCENARIO": str(scenario)}, TIMEOUT)
    results = read_checks(out, done.stdout + done.stderr)
    results["output"] = done.stdout + done.stderr
    return results


def test_the_plugin_is_in_the_filters_menu(batch_run: dict) -> None:
    assert batch_run["checks"]["the Dream procedure is registered"]
    assert batch_run["facts"]["menu"] == ["<Image>/Filters/Artistic"]
    assert batch_run["facts"]["label"] == "Dream…"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", CHECKS)
def test_batch_dream(batch_run: dict, variant: str, name: str) -> None:
    key = f"{variant}: {name}"
    assert batch_run["checks"].get(key), (f"{key}: {batch_run['facts'].get(key, '')}; facts: "
                                          f"{json.dumps(batch_run['facts'])[:3000]}\n{batch_run['output'][-3000:]}")


@pytest.mark.parametrize("name", ("the call fails", "the message names the model", "no layer added",
                                  "the source is untouched", "the image is not marked changed"))
def test_an_engine_failure_leaves_the_image_as_it_was(batch_run: dict, name: str) -> None:
    key = f"failure: {name}"
    assert batch_run["checks"].get(key), f"{key}: {batch_run['facts'].get(key, '')}"
