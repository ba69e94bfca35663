"""One file being tailed: its identity, its read position, and reading whole lines from it.

The file stays open while it is tailed, so after a rename (or even an unlink) its remaining
lines are still read through the same descriptor.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.sources.checkpoint import FilePosition

# The fingerprint covers the first line, at most this many bytes of it (Vector's "checksum"
# strategy): it must stay the same while the file grows, and inode numbers alone are reused
# after rotation.
FINGERPRINT_BYTES = 256
READ_CHUNK = 64 * 1024


def fingerprint(head: bytes) -> str | None:
    """The content fingerprint of a file starting with ``head``; None while the file holds
    neither a complete first line nor ``FINGERPRINT_BYTES`` bytes."""
    newline = head.find(b"\n", 0, FINGERPRINT_BYTES)
    if newline >= 0:
        sample = head[: newline + 1]
    elif len(head) >= FINGERPRINT_BYTES:
        sample = head[:FINGERPRINT_BYTES]
    else:
        return None
    return hashlib.blake2b(sample, digest_size=8).hexdigest()


def end_of_last_line(fd: int, size: int) -> int:
    """Where reading "from the end" starts: after the last complete line, so a line being
    written at startup is read whole rather than as its tail."""
    window = min(size, READ_CHUNK)
    tail = os.pread(fd, window, size - window)
    newline = tail.rfind(b"\n")
    if newline >= 0:
        return size - window + newline + 1
    return 0 if window == size else size


@dataclass(slots=True)
class Line:
    offset: int  # byte offset of the line's start
    data: bytes  # without the newline; the first max_line_bytes only if too_long
    too_long: bool = False


class TailedFile:
    """An open file identified by inode and fingerprint, read from ``offset`` on."""

    def __init__(
        self,
        fd: int,
        *,
        device: int,
        inode: int,
        fingerprint: str | None,
        path: str,
        offset: int = 0,
        skipping: bool = False,
    ) -> None:
        self.fd = fd
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.path = path
        self.offset = offset
        self.skipping = skipping
        # Set by read_lines: it stopped at its byte budget, not at the end of the file.
        self.more_available = False
        # For files rotated out of the pattern: consecutive polls without growth.
        self.idle_polls = 0
        self.last_size = -1

    @property
    def identity(self) -> str:
        return f"file:{self.inode}:{self.fingerprint}"

    def position(self) -> FilePosition | None:
        if self.fingerprint is None:
            return None
        return FilePosition(
            inode=self.inode,
            fingerprint=self.fingerprint,
            path=self.path,
            offset=self.offset,
            skipping=self.skipping,
        )

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def current_fingerprint(self) -> str | None:
        return fingerprint(os.pread(self.fd, FINGERPRINT_BYTES, 0))

    def restart(self, new_fingerprint: str | None) -> None:
        """The content was replaced in place (copytruncate): read it from the start."""
        self.fingerprint = new_fingerprint
        self.offset = 0
        self.skipping = False

    def close(self) -> None:
        os.close(self.fd)

    def read_lines(self, max_line_bytes: int, budget: int, *, final: bool) -> Iterator[Line]:
        """Complete lines from ``offset`` on, reading at most about ``budget`` bytes.

        ``offset`` is advanced past each line *before* it is yielded, so whoever cuts a batch
        after adding the line sees a position that includes it. A line longer than
        ``max_line_bytes`` is yielded as ``too_long`` with its first bytes, and its rest is
        skipped without being held in memory. An unterminated last line is yielded only when
        ``final`` (the file was rotated away and will not grow any more).
        """
        self.more_available = False
        position = self.offset  # file position of buffer[0]
        buffer = bytearray()
        read = 0
        while True:
            if read >= budget:
                self.more_available = True
                return
            chunk = os.pread(self.fd, READ_CHUNK, position + len(buffer))
            if not chunk:
                break
            read += len(chunk)
            if self.skipping:
                position = self._skip(chunk, position)
                continue
            buffer += chunk
            consumed = 0
            while (newline := buffer.find(b"\n", consumed)) >= 0:
                line = Line(position + consumed, bytes(buffer[consumed:newline]))
                consumed = newline + 1
                self.offset = position + consumed
                if len(line.data) > max_line_bytes:
                    line.data, line.too_long = line.data[:max_line_bytes], True
                yield line
            del buffer[:consumed]
            position += consumed
            if len(buffer) > max_line_bytes:
                # An over-long line without its newline yet: report it now, skip the rest.
                self.offset, self.skipping = position + len(buffer), True
                yield Line(position, bytes(buffer[:max_line_bytes]), too_long=True)
                position, buffer = self.offset, bytearray()
        if final and buffer and not self.skipping:
            self.offset = position + len(buffer)
            yield Line(position, bytes(buffer))

    def _skip(self, chunk: bytes, position: int) -> int:
        newline = chunk.find(b"\n")
        if newline < 0:
            self.offset = position + len(chunk)
        else:
            self.offset = position + newline + 1
            self.skipping = False
        return self.offset
