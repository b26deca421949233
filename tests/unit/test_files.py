"""The one atomic file writer: whole files or nothing, and no temp file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_armor.files import write_atomic


def test_writes_utf8_and_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    assert write_atomic(target, "é\n") == target
    assert target.read_text(encoding="utf-8") == "é\n"
    write_atomic(target, "second\n")  # replaces, never appends
    assert target.read_text() == "second\n" and sorted(target.parent.iterdir()) == [target]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    blocked = tmp_path / "out"
    blocked.mkdir()  # the rename onto a directory fails
    (blocked / "keep").write_text("x")
    with pytest.raises(OSError):
        write_atomic(blocked, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (blocked / "keep").read_text() == "x"
