"""Type-check the dreamlayer package with mypy (mypy.ini; run by .ci/run after ruff).

    python tools/typecheck.py [extra mypy arguments]

setup.py maps the repo's top-level folders onto one ``dreamlayer`` package (engine/ is dreamlayer.engine, ...),
and the editable install resolves that through an import hook that mypy cannot follow. So this lays the package
out as it is installed, a temporary tree of symlinks (dreamlayer/ holding links to the files of dreamlayer/ and one
link per subpackage folder), checks that, and reports errors under the repo's own paths.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_parts() -> dict[str, str]:
    """setup.py's PARTS (package name -> folder), read without running setup()."""
    for node in ast.parse((ROOT / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PARTS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("tools/typecheck.py: setup.py has no PARTS mapping")


def link_tree(top: Path, parts: dict[str, str]) -> None:
    """Build the installed layout under ``top``: top/dreamlayer/... with symlinks into the repo."""
    for name, folder in sorted(parts.items()):
        target = top.joinpath(*name.split("."))
        if name == "dreamlayer":
            target.mkdir(parents=True)
            for entry in (ROOT / folder).iterdir():
                if entry.name != "__pycache__":
                    (target / entry.name).symlink_to(entry)
        else:
            target.symlink_to(ROOT / folder, target_is_directory=True)


def repo_path(line: str, parts: dict[str, str]) -> str:
    """Rewrite a mypy message's path in the link tree (dreamlayer/engine/x.py) to the repo's (engine/x.py)."""
    for name, folder in sorted(parts.items(), key=lambda item: -len(item[0])):
        package = name.replace(".", "/") + "/"
        if line.startswith(package):
            return folder + "/" + line[len(package):]
    return line


def main(argv: list[str]) -> int:
    parts = package_parts()
    with tempfile.TemporaryDirectory(prefix="dreamlayer-typecheck-") as tmp:
        top = Path(tmp)
        link_tree(top, parts)
        command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "mypy.ini"),
                   "--cache-dir", str(ROOT / ".mypy_cache"), "-p", "dreamlayer", *argv]
        run = subprocess.run(command, cwd=top, env={**os.environ, "MYPYPATH": str(top)},
                             capture_output=True, text=True)
    for line in (run.stdout + run.stderr).splitlines():
        print(repo_path(line, parts))
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
