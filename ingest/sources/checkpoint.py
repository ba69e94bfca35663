"""Where a file source has read up to, persisted atomically.

The file source saves a checkpoint only from a batch's ack callback, i.e. after the store has
durably written every record before that position; resuming from it therefore loses nothing,
and the records re-read after a crash get the same ids and are deduplicated by the store.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FilePosition(BaseModel):
    """How far one file (inode plus content fingerprint) has been read and stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inode: int
    fingerprint: str
    path: str
    offset: int
    # True when the offset is inside an over-long line whose tail is being skipped.
    skipping: bool = False

    @property
    def key(self) -> str:
        return file_key(self.inode, self.fingerprint)


class _CheckpointFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    files: list[FilePosition]


def file_key(inode: int, fingerprint: str) -> str:
    return f"{inode}:{fingerprint}"


def checkpoint_path(state_dir: Path, source_name: str) -> Path:
    """One file per source in the checkpoint directory; the hash keeps two names that
    sanitize alike apart."""
    digest = hashlib.blake2b(source_name.encode(), digest_size=4).hexdigest()
    safe = _UNSAFE.sub("_", source_name)[:64]
    return state_dir / f"file-{safe}-{digest}.json"


class Checkpoint:
    """The checkpoint file of one file source."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[str, FilePosition]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            parsed = _CheckpointFile.model_validate_json(data)
        except ValidationError as exc:
            # Never written by us (writes are atomic): keep it for inspection, start afresh;
            # the store deduplicates whatever is read again.
            aside = self.path.with_suffix(".corrupt")
            os.replace(self.path, aside)
            log.error("%s: unreadable checkpoint moved to %s: %s", self.path, aside, exc)
            return {}
        return {position.key: position for position in parsed.files}

    def save(self, positions: Iterable[FilePosition]) -> None:
        document = _CheckpointFile(files=sorted(positions, key=lambda p: p.key))
        with self._lock:
            write_atomic(self.path, document.model_dump_json(indent=1).encode())


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename over, fsync the directory: after a
    crash the file holds either the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
