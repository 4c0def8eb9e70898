"""Process tuning is the command line's and the engine process's business, not an import's."""
from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import os, sys
{setup}
print(os.environ.get("OMP_WAIT_POLICY", "unset"))
"""


def _policy(setup: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def test_importing_the_engine_leaves_the_process_alone():
    assert _policy("import dreamlayer.engine.deepdream, dreamlayer.engine.worker") == "unset"


def test_the_command_line_tunes_its_process():
    setup = "from dreamlayer import cli\ntry:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass"
    assert _policy(setup) == "PASSIVE"
