"""The real-Krita end-to-end run: install the plugin with the installer, then drive Krita.

Used by ``test_krita_e2e.py`` and by hand for screenshots and timings::

    python tests/krita/krita_e2e.py OUTDIR --size 1024x768 --steps 10 --pattern-size 1
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

from krita_harness import HERE, Launcher, prepare_home, run_krita, start_display

SCENARIO = HERE / "scenario_dream.py"
EXAMPLE = HERE.parent.parent / "examples" / "cat.jpg"


def make_picture(path: Path, width: int, height: int) -> None:
    """The README's example photo cropped to ``width`` x ``height``: a real picture dreams like one."""
    from PIL import Image, ImageOps

    with Image.open(EXAMPLE) as photo:
        ImageOps.fit(photo.convert("RGBA"), (width, height), Image.LANCZOS).save(path)


def install_plugin(home: Path, python: str) -> subprocess.CompletedProcess:
    """``dreamlayer install krita`` as a user would run it, with HOME pointing at ``home``."""
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CONFIG_HOME=str(home / ".config"))
    return subprocess.run([python, "-m", "dreamlayer", "install", "krita", "--engine-python", python],
                          env=env, capture_output=True, text=True, timeout=300)


def start_serve(token_file: Path, log: Path) -> tuple[subprocess.Popen, int]:
    """``dreamlayer serve`` on 127.0.0.1 (any free port), making its token, for the remote scenario."""
    token_file.unlink(missing_ok=True)
    with open(log, "w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", "0", "--token-file",
                                   str(token_file)], stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if "listening on 127.0.0.1:" in line:
            return server, int(line.rsplit(":", 1)[1])
    server.wait()
    raise RuntimeError(f"dreamlayer serve did not start: {log.read_text()}")


def run(out: Path, width: int, height: int, steps: int, pattern: float, timeout: float,
        home: Optional[Path] = None, colour_spaces: bool = True, launcher: Optional[Launcher] = None) -> dict:
    """Everything from a fresh HOME to results.json; returns the parsed results plus run facts.
    ``launcher``: start another Krita (see ``run_krita``)."""
    out.mkdir(parents=True, exist_ok=True)
    home = home or out / "home"
    prepare_home(home, [])
    installed = install_plugin(home, sys.executable)
    if installed.returncode != 0:
        return {"error": f"install failed: {installed.stderr.strip() or installed.stdout.strip()}"}
    make_picture(out / "in.png", width, height)
    (out / "results.json").unlink(missing_ok=True)
    server, port = start_serve(out / "serve-token", out / "serve.log")
    display = start_display()
    try:
        krita = run_krita(home, SCENARIO, display, out / "scenario.log", timeout,
                          env={"DREAMLAYER_E2E_DIR": str(out), "DREAMLAYER_E2E_STEPS": str(steps),
                               "DREAMLAYER_E2E_PATTERN": str(pattern),
                               "DREAMLAYER_E2E_COLOUR_SPACES": "1" if colour_spaces else "0",
                               "DREAMLAYER_E2E_SERVE_PORT": str(port), "DREAMLAYER_E2E_SERVE_PID": str(server.pid),
                               "DREAMLAYER_E2E_SERVE_TOKEN": (out / "serve-token").read_text().strip()},
                          timeout_shot=out / "screen-timeout.png", launcher=launcher)
    finally:
        display.stop()
        server.kill()
        server.wait()
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    results["run"] = {"returncode": krita.returncode, "seconds": round(krita.seconds, 1),
                      "timed_out": krita.timed_out, "log": krita.log, "output_tail": krita.output[-4000:]}
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="256x192")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--pattern-size", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=420)
    parser.add_argument("--no-colour-spaces", action="store_true")
    args = parser.parse_args(argv)
    width, height = (int(part) for part in args.size.split("x"))
    results = run(args.out.resolve(), width, height, args.steps, args.pattern_size, args.timeout,
                  colour_spaces=not args.no_colour_spaces)
    print(json.dumps({key: value for key, value in results.items() if key != "run"}, indent=2))
    print(results.get("run", {}).get("log", ""))
    failed = [name for name, ok in results.get("checks", {}).items() if not ok]
    facts = {key: value for key, value in results.get("run", {}).items()
             if key in ("returncode", "seconds", "timed_out")}
    print("failed:", failed, "| run:", facts)
    return 1 if failed or "error" in results or not results.get("checks") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
