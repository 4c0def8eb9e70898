"""Writing files: atomically through one helper, never over an input or an existing file unasked."""
from __future__ import annotations

from pathlib import Path

import pytest

from dreamlayer.engine.errors import DreamError
from dreamlayer.engine.files import WriteError, check_outputs, publish, replacing, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_write_error_names_the_users_path_not_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "out.json"
    with pytest.raises(WriteError) as caught:
        write_text(target, "x")
    assert str(caught.value).startswith(f"cannot write {target}:") and ".part" not in str(caught.value)


def test_outputs_are_checked_against_inputs_each_other_and_existing_files(tmp_path: Path) -> None:
    source, out, report = tmp_path / "in.png", tmp_path / "out.png", tmp_path / "r.json"
    source.write_bytes(b"picture")
    check_outputs([out], [source], report=report)
    with pytest.raises(DreamError, match="is the input"):
        check_outputs([source], [source])
    check_outputs([source], [source], force=True)
    for force in (False, True):
        with pytest.raises(DreamError, match="report"):
            check_outputs([out], [source], force=force, report=source)
        with pytest.raises(DreamError, match="report"):
            check_outputs([out], [source], force=force, report=out)
    # the same file under another name is still the same file
    link = tmp_path / "link.png"
    link.symlink_to(source)
    with pytest.raises(DreamError, match="report"):
        check_outputs([out], [link], force=True, report=source)
    out.write_bytes(b"earlier result")
    with pytest.raises(DreamError, match="already exists"):
        check_outputs([out], [source])
    check_outputs([out], [source], force=True)
    with pytest.raises(DreamError, match="it is a folder"):
        check_outputs([tmp_path], [source], force=True)


def test_publish_writes_a_file_once_and_never_replaces_it(tmp_path):
    target = tmp_path / "out.png"
    assert publish(target, b"first")
    assert not publish(target, b"second")
    assert target.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["out.png"]
