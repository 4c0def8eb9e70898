"""Krita for real: Filter > Dream… on a selection, the dialog driven to Apply, then undo.

Twice where both exist: this machine's Krita (5.1.5 on Debian 12) and Debian 13's Krita 5.2 (the
one with ``Document.createTransparencyMask``) in the chroot ``.ci/gimp-chroot.sh`` builds (see
``tests/gimp/trixie.py``; on a Debian 13 machine its own Krita is that one). Each time one Krita
session (under Xvfb, with a HOME prepared by the installer) runs every scenario; each check it
recorded becomes a test here. Skips, saying why, where Krita or Xvfb is not
installed (CI installs them with .ci/install-krita.sh). Screenshots and the log stay in the
test's temporary folder (printed on failure).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gimp"))

from krita_e2e import run  # noqa: E402
from krita_harness import missing_tools  # noqa: E402
from trixie import missing_tools as trixie_tools_missing  # noqa: E402
from trixie import root, trixie_for  # noqa: E402

WIDTH, HEIGHT, STEPS, PATTERN = 400, 300, 3, 2.0  # big enough that the selection is dreamed as a crop
TIMEOUT = 540

MENU_TO_UNDO = [
    "Dream… is in the Filter menu", "the Dream extension is loaded", "dialog opened", "engine ready",
    "preview shown mid-run", "preview finished", "the layer was added", "one new layer",
    "new layer is a paint layer named after the settings", "new layer sits right above the source",
    "new layer has a transparency mask", "mask equals the (soft) selection", "source layer unchanged",
    "other layer unchanged", "pixels outside the selection unchanged", "pixels inside the selection changed",
    "one undo restores the layers", "one undo restores the picture", "redo brings the layer and mask back",
    "redo brings the picture back",
]
SELECTION = ["without a selection the dialog opened and was cancelled",
             "reopened after a run without selection: Use selection is ticked",
             "reopened on a running engine: the status says so",
             "emptied selection: the painter is told, no dialog", "emptied selection: nothing added"]
SEMI_TRANSPARENT = [f"semi-transparent {space}: {check}" for space in ("RGBA/U8", "RGBA/U16", "GRAYA/U16")
                    for check in ("source pixels and properties unchanged", "the dream layer is masked",
                                  "one undo restores", "the composite is the dream of the layer")]
SEMI_TRANSPARENT += ["semi-transparent: a plain layer would not do (control)",
                     "timing opaque: the layer is masked", "timing semi-transparent: the layer is masked"]
SPACES = [f"{space}: {check}" for space in ("RGBA/U16", "RGBA/F32", "CMYKA/U8", "GRAYA/U16", "LABA/U8")
          for check in ("dream applied", "source unchanged", "only the selection changed", "one undo restores")]
SPACES += ["visible: the composite is read", "visible: the layer goes on top", "visible: only the selection changed"]
REMOTE = ["remote: dialog opened", "remote: connected, its device and models shown",
          "remote: preview streamed and finished", "remote: Apply added the dream layer",
          "remote: source layer unchanged", "remote: reopened on the remote engine",
          "remote: server killed mid-preview is explained",
          "remote: after the lost connection the document is untouched"]
SPACES += ["inverted: the layer's mask is the mask the dream used", "inverted: only outside the selection changed",
           "inverted: the selection is unchanged", "inverted: one undo restores"]


def _why_not(krita: str) -> str:
    if importlib.util.find_spec("torch") is None:
        return "the dream engine needs torch"
    if krita == "debian13":
        if root() is None:
            return "Debian 13's Krita is not set up here (CI runs .ci/gimp-chroot.sh)"
        if root() == Path("/"):
            return "this machine is Debian 13: its own Krita is that one"
        missing = trixie_tools_missing()
    else:
        missing = missing_tools()
    if missing:
        return f"not installed here: {', '.join(missing)} (CI installs them with .ci/install-krita.sh)"
    return ""


pytestmark = [pytest.mark.editor]


@pytest.fixture(scope="module", params=["here", "debian13"])
def krita_run(request, tmp_path_factory):
    why = _why_not(request.param)
    if why:
        pytest.skip(why)
    launcher = trixie_for(sys.executable).command if request.param == "debian13" else None
    out = tmp_path_factory.mktemp(f"krita-e2e-{request.param}")
    results = run(out, WIDTH, HEIGHT, STEPS, PATTERN, TIMEOUT, launcher=launcher)
    results["where"] = request.param
    results["out"] = out
    return results


def _explain(results: dict) -> str:
    run_facts = results.get("run", {})
    return (f"files in {results.get('out')}; {results.get('error', '')}\n--- scenario log ---\n"
            f"{run_facts.get('log', '')}\n--- Krita output (tail) ---\n{run_facts.get('output_tail', '')}")


def test_debian_13_runs_krita_5_2(krita_run):
    version = krita_run.get("details", {}).get("Krita version", "")
    if krita_run["where"] == "debian13":
        assert version.startswith("5.2"), _explain(krita_run)


def test_krita_ran_to_the_end(krita_run):
    assert "error" not in krita_run, _explain(krita_run)
    assert not krita_run["run"]["timed_out"], _explain(krita_run)
    assert "FAILED" not in krita_run["run"]["log"], _explain(krita_run)


@pytest.mark.parametrize("check", MENU_TO_UNDO + SELECTION + SEMI_TRANSPARENT + SPACES + REMOTE)
def test_check(krita_run, check):
    checks = krita_run.get("checks", {})
    assert check in checks, f"never checked: {_explain(krita_run)}"
    assert checks[check], f"{krita_run.get('details', {}).get(check)!r}; {_explain(krita_run)}"


def test_no_error_reached_the_painter(krita_run):
    assert krita_run.get("checks", {}).get("no error message", True), krita_run["details"].get("no error message")


@pytest.mark.parametrize("name", ["dialog-preview.png", "screen-preview.png", "screen-after.png",
                                  "dialog-reopened-with-selection.png", "screen-semi-transparent.png",
                                  "dialog-remote.png", "screen-remote.png", "dialog-remote-lost.png"])
def test_screenshots_were_taken(krita_run, name):
    shot = krita_run["out"] / name
    assert shot.is_file() and shot.stat().st_size > 10_000, _explain(krita_run)
