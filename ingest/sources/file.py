"""Tail files (a path or a glob) by polling, surviving rotation, resuming from a checkpoint.

Each poll: find the files the pattern matches now; read the files already being tailed (those
that left the pattern were rotated away or deleted: they are read to their end, their last
unterminated line included, then closed); open new ones; send what was read. A file is
identified by inode *and* fingerprint (see :mod:`ingest.sources.tailed_file`), an event by that
identity plus the byte offset of its line, so reading a line twice yields the same event id.

Known limit: a file renamed out of the pattern while the collector is down is not found again;
a pattern that also matches the rotated name (``app.log*``) avoids that, but must not match a
copytruncate copy, which has a new inode and would be read again in full.
"""

from __future__ import annotations

import glob
import logging
import os
import stat
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from canhgac.config import FileSourceConfig
from canhgac.errors import TransportError
from canhgac.models import DeadLetter, Event, event_id
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.parse.cloud_record import split_envelope
from ingest.parse.record import to_record
from ingest.sources.base import Source
from ingest.sources.batching import Batcher
from ingest.sources.checkpoint import Checkpoint, FilePosition, checkpoint_path, file_key
from ingest.sources.tailed_file import FINGERPRINT_BYTES, Line, TailedFile, end_of_last_line
from ingest.sources.tailed_file import fingerprint as content_fingerprint
from ingest.transport.base import Sender

log = logging.getLogger(__name__)

FileId = tuple[int, int]  # (device, inode)
# A rotated-away file is closed after this many polls without growth: the writer may still
# append between the rename and reopening its log.
ROTATED_IDLE_POLLS = 2
# Per file and poll, so one huge file does not starve the others.
READ_BUDGET_BYTES = 4 * 1024 * 1024


class FileSource(Source):
    def __init__(
        self,
        config: FileSourceConfig,
        sender: Sender,
        state_dir: Path,
        *,
        batch_records: int = 500,
        ack_timeout: float = 10.0,
    ) -> None:
        self.name = config.name
        self._config = config
        self._poll_interval = config.poll_interval.total_seconds()
        self._ack_timeout = ack_timeout
        self._checkpoint = Checkpoint(checkpoint_path(state_dir, config.name))
        # Checkpointed positions not yet matched to an open file.
        self._saved: dict[str, FilePosition] = self._checkpoint.load()
        self._files: dict[FileId, TailedFile] = {}
        self._startup = True
        self._dirty = False  # positions changed without a record to carry them
        self._batcher = Batcher(
            sender, name=config.name, max_records=batch_records, make_ack=self._make_ack
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"file-{self.name}", daemon=False)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._batcher.close()
        if not self._batcher.wait_acked(self._ack_timeout):
            log.warning("%s: stopping with unacknowledged lines; they are re-read", self.name)
        for tailed in self._files.values():
            tailed.close()
        self._files.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self.poll()
            except TransportError as exc:
                log.error("%s: transport refused a batch, tailing stops: %s", self.name, exc)
                return
            except Exception:  # keep tailing; the next poll starts afresh
                log.exception("%s: poll failed", self.name)
                more = False
            if not more:
                self._stop.wait(self._poll_interval)

    # --- one poll ---------------------------------------------------------------------------
    def poll(self) -> bool:
        """Read what is new in every matched file and send it; True if a file has more
        than one poll's budget waiting."""
        matches = self._match()
        startup, self._startup = self._startup, False
        more = False
        # Files already open first: a rotated file is finished before its successor.
        for file_id, tailed in list(self._files.items()):
            if self._stop.is_set():
                break
            if file_id in matches:
                tailed.path = matches[file_id]
                tailed.idle_polls, tailed.last_size = 0, -1
                self._detect_truncation(tailed)
                more |= self._read(tailed, final=False)
            else:
                more |= self._drain_rotated(file_id, tailed)
        for file_id, path in matches.items():
            if self._stop.is_set():
                break
            if file_id not in self._files and (opened := self._open(path, startup)):
                more |= self._read(opened, final=False)
        live_inodes = {inode for _, inode in matches}
        self._saved = {k: p for k, p in self._saved.items() if p.inode in live_inodes}
        self._batcher.flush(even_if_empty=self._dirty)
        return more

    def _match(self) -> dict[FileId, str]:
        pattern = self._config.path
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matches: dict[FileId, str] = {}
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                matches.setdefault((info.st_dev, info.st_ino), path)
        return matches

    def _open(self, path: str, startup: bool) -> TailedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            log.warning("%s: cannot open %s: %s", self.name, path, exc)
            return None
        info = os.fstat(fd)
        file_id = (info.st_dev, info.st_ino)
        fingerprint = content_fingerprint(os.pread(fd, FINGERPRINT_BYTES, 0))
        if fingerprint is None or file_id in self._files:
            os.close(fd)  # no complete first line yet (try next poll), or replaced meanwhile
            return None
        saved = self._saved.pop(file_key(info.st_ino, fingerprint), None)
        # Other positions under this inode belong to content it no longer holds.
        self._saved = {k: p for k, p in self._saved.items() if p.inode != info.st_ino}
        tailed = TailedFile(
            fd, device=info.st_dev, inode=info.st_ino, fingerprint=fingerprint, path=path
        )
        if saved is not None and saved.offset <= info.st_size:
            tailed.offset, tailed.skipping = saved.offset, saved.skipping
        elif startup and self._config.start_at == "end" and saved is None:
            tailed.offset = end_of_last_line(fd, info.st_size)
        self._files[file_id] = tailed
        self._dirty = True
        log.info(
            "%s: tailing %s (%s) from byte %d", self.name, path, tailed.identity, tailed.offset
        )
        return tailed

    def _detect_truncation(self, tailed: TailedFile) -> None:
        """copytruncate: the file got shorter than our position, or its first line changed
        (truncated and rewritten past our position between two polls)."""
        size, now = tailed.size(), tailed.current_fingerprint()
        if size < tailed.offset or now != tailed.fingerprint:
            log.info("%s: %s was truncated, reading it from the start", self.name, tailed.path)
            tailed.restart(now)
            self._dirty = True

    def _drain_rotated(self, file_id: FileId, tailed: TailedFile) -> bool:
        size = tailed.size()
        tailed.idle_polls = tailed.idle_polls + 1 if size == tailed.last_size else 0
        tailed.last_size = size
        if tailed.idle_polls < ROTATED_IDLE_POLLS:
            return self._read(tailed, final=False)
        more = self._read(tailed, final=True)
        if not more:
            log.info("%s: finished rotated file %s (%s)", self.name, tailed.path, tailed.identity)
            tailed.close()
            del self._files[file_id]
            self._dirty = True
        return more

    # --- reading --------------------------------------------------------------------------------
    def _read(self, tailed: TailedFile, *, final: bool) -> bool:
        if tailed.fingerprint is None:
            tailed.fingerprint = tailed.current_fingerprint()
            if tailed.fingerprint is None:
                return False
        origin = Origin(
            source=self.name,
            identity=tailed.identity,
            received_at=now_iso(),
            parser=self._config.parser,
            encoding=self._config.encoding,
            dataset=self._config.dataset,
            timezone=self._config.timezone,
            year=self._config.year,
        )
        limit = self._config.max_line_bytes
        for line in tailed.read_lines(limit, READ_BUDGET_BYTES, final=final):
            if line.too_long:
                self._batcher.add(self._too_long(line, tailed, origin))
            elif line.data.strip(b"\r"):  # blank lines are no records
                self._add_line(line, tailed, origin)
            if self._stop.is_set():
                return False
        return tailed.more_available

    def _add_line(self, line: Line, tailed: TailedFile, origin: Origin) -> None:
        records = split_envelope(origin.parser, line.data)
        if records is None:
            self._batcher.add(self._record(line.data, line.offset, line.offset, tailed, origin))
            return
        # A cloud export file on one line: one event per record, all in one batch.
        self._batcher.add_all(
            [
                self._record(raw, f"{line.offset}:{index}", line.offset, tailed, origin)
                for index, raw in enumerate(records)
            ]
        )

    def _record(
        self, data: bytes, position: int | str, offset: int, tailed: TailedFile, origin: Origin
    ) -> Event | DeadLetter:
        record = to_record(data, origin, position)
        if isinstance(record, Event):
            record.fields.setdefault("log.file.path", tailed.path)
            record.fields.setdefault("log.offset", offset)
        return record

    def _too_long(self, line: Line, tailed: TailedFile, origin: Origin) -> DeadLetter:
        limit = self._config.max_line_bytes
        return DeadLetter(
            id=event_id(origin.identity, line.offset),
            source=self.name,
            reason=f"line exceeds {limit} bytes",
            raw=line.data,
            received_at=origin.received_at,
            context={
                "identity": origin.identity,
                "path": tailed.path,
                "offset": line.offset,
                "note": f"raw holds the first {limit} bytes of the line only",
            },
        )

    # --- checkpoints -----------------------------------------------------------------------------
    def _make_ack(self) -> Callable[[], None]:
        """Called as a batch is cut: the positions now include exactly its records, and
        the checkpoint may move there once the store has them."""
        positions = [p for tailed in self._files.values() if (p := tailed.position())]
        positions.extend(self._saved.values())
        self._dirty = False
        return partial(self._checkpoint.save, positions)
