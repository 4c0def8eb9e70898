"""Writing files so that nothing is lost: atomically, and never over an input or an unasked-for file.

Every file the engine writes (pictures, reports, contact sheets, cached pictures and model files)
goes through :func:`replacing`: the bytes go to a hidden temporary file in the same folder, which
replaces the target only once complete, so a failure or a kill never leaves half a file behind.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from .errors import DreamError

_COUNTER = itertools.count()


class WriteError(OSError):
    """A file that could not be written; the message names the user's path and why."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


@contextmanager
def replacing(path: str | Path, error: type[Exception] = WriteError) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` that replaces it only once the block completes.

    A failure raises ``error`` naming ``path`` (never the temporary file) and removes the
    temporary file; whatever was at ``path`` before is left as it was.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{next(_COUNTER)}.part")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as failure:
        raise error(f"cannot write {path}: {_reason(failure)}") from failure
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # a folder we cannot write to never got the file in the first place
            pass


def publish(path: str | Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically and only if nothing is there yet; whether it was written.

    The complete temporary file is hard-linked into place, which fails if ``path`` exists, so of
    two writers of the same output (a retried task and the one it replaced) exactly one wins
    and no reader ever sees a partial or a second version.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{next(_COUNTER)}.part")
    try:
        temporary.write_bytes(data)
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as failure:
        raise WriteError(f"cannot write {path}: {_reason(failure)}") from failure
    finally:
        temporary.unlink(missing_ok=True)
    return True


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def check_writable(path: str | Path) -> None:
    """Fail now (DreamError), naming ``path``, if a file could not be written there: before a long
    dream, not after.

    Creates and removes a probe file, since permission bits say nothing about read-only mounts.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise DreamError(f"cannot write {path}: it is a folder")
    if not folder.is_dir():
        raise DreamError(f"cannot write {path}: folder {folder} does not exist")
    probe = folder / f".{path.name}.{os.getpid()}-{next(_COUNTER)}.probe"
    try:
        probe.open("xb").close()
    except OSError as failure:
        raise DreamError(f"cannot write {path}: {_reason(failure)} (folder {folder})") from None
    probe.unlink(missing_ok=True)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (through links too), existing or not."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _also(path: Path, named: Path) -> str:
    """How to name ``path`` in a message that already named ``named``: blank when they read the same."""
    return "" if str(path) == str(named) else f" {path}"


def check_outputs(outputs: Sequence[Optional[Path]], inputs: Sequence[Optional[Path]], *, force: bool = False,
                  report: Optional[Path] = None) -> None:
    """Refuse, in one line, to write over an input or an existing file unless ``force``; the
    ``report`` may never be an input or an output, even with ``force``. Then check every
    output can be written."""
    written = [p for p in outputs if p is not None]
    read = [p for p in inputs if p is not None]
    if report is not None:
        for role, others in (("input", read), ("output", written)):
            other = next((p for p in others if same_file(report, p)), None)
            if other is not None:
                raise DreamError(f"--report {report} would overwrite the {role}{_also(other, report)}; "
                                 "name another file for the report")
        written.append(report)
    for index, path in enumerate(written):
        if any(same_file(path, earlier) for earlier in written[:index]):
            raise DreamError(f"{path} is named twice as an output")
        if not force:
            source = next((p for p in read if same_file(path, p)), None)
            if source is not None:
                raise DreamError(f"{path} is the input{_also(source, path)}; refusing to overwrite it "
                                 "(add --force to replace it)")
            if path.exists() and not path.is_dir():
                raise DreamError(f"{path} already exists (add --force to replace it)")
        check_writable(path)
