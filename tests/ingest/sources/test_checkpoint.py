"""Checkpoint files: atomic round trip, corrupt files set aside, safe per-source names."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.sources.checkpoint import Checkpoint, FilePosition, checkpoint_path


def _position(offset: int) -> FilePosition:
    return FilePosition(inode=7, fingerprint="ab12", path="/var/log/app.log", offset=offset)


def test_round_trip_and_overwrite_leave_no_temp_files(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "cp" / "file.json")
    assert checkpoint.load() == {}
    checkpoint.save([_position(10)])
    checkpoint.save([_position(20), FilePosition(inode=8, fingerprint="cd", path="b", offset=1)])
    loaded = checkpoint.load()
    assert loaded["7:ab12"].offset == 20 and loaded["8:cd"].offset == 1
    assert os.listdir(tmp_path / "cp") == ["file.json"]


def test_corrupt_checkpoint_is_moved_aside_and_reading_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text('{"files": [{"inode": "not a number"}]}')
    assert Checkpoint(path).load() == {}
    assert not path.exists() and (tmp_path / "file.corrupt").exists()


def test_paths_are_safe_and_distinct_per_source(tmp_path: Path) -> None:
    a = checkpoint_path(tmp_path, "../../etc/passwd")
    b = checkpoint_path(tmp_path, "__.._etc_passwd")
    assert a.parent == b.parent == tmp_path
    assert a != b and "/" not in a.name
