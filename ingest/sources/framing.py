"""Syslog-over-TCP framing (RFC 6587), detected frame by frame.

- Octet counting: ``<len> <msg>``, ``len`` a decimal count without a leading zero.
- Non-transparent framing: the message ends at LF (a preceding CR is dropped) or at NUL.

As in rsyslog, a frame starting with a digit is octet-counted when the digits are followed by a
space; digits followed by anything else start a newline-terminated message (a line beginning
with a date, say). Oversized frames become errors and the decoder resynchronizes: octet-counted
frames are skipped by exactly their count, newline frames up to the next terminator. Memory per
connection stays below about ``max_message_bytes`` plus one read, whatever the peer sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

_TERMINATOR = re.compile(rb"[\n\x00]")
_DIGITS = b"0123456789"
_MAX_COUNT_DIGITS = 10
_SKIPPED_AT_FRAME_START = b"\n\r\x00"


@dataclass(frozen=True, slots=True)
class Frame:
    """One message, or (``error`` set) what is kept of an input that could not be one."""

    data: bytes
    error: str | None = None


class _Mode(Enum):
    START = auto()  # between frames
    LINE = auto()  # inside a newline-terminated frame
    SKIP_LINE = auto()  # discarding the rest of an oversized line
    OCTETS = auto()  # inside an octet-counted frame
    SKIP_OCTETS = auto()  # discarding an oversized octet-counted frame


class FrameDecoder:
    """Turns a byte stream into frames; feed it whatever ``recv`` returned."""

    def __init__(self, max_message_bytes: int) -> None:
        self._max = max_message_bytes
        self._reset()

    def _reset(self) -> None:
        self._buffer = bytearray()
        self._pos = 0  # start of the unconsumed bytes in _buffer
        # How far the current line was searched for its terminator: each byte is searched
        # once, however small the reads (rescanning the partial line made it quadratic).
        self._scanned = 0
        self._mode = _Mode.START
        self._remaining = 0  # octet frames: bytes still to come
        self._count = 0  # octet frames: the announced length
        self._kept = bytearray()  # oversized octet frame: its first bytes, for the error
        self._line_error: str | None = None  # a malformed octet count, reported with its line

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while self._step(frames):
            pass
        del self._buffer[: self._pos]
        self._scanned = max(0, self._scanned - self._pos)
        self._pos = 0
        return frames

    @property
    def pending(self) -> bool:
        """Mid-frame: bytes of a frame not yet complete were received."""
        return self._mode is not _Mode.START or self._pos < len(self._buffer)

    def finish(self) -> list[Frame]:
        """The connection ended: whatever is left becomes a last frame or an error."""
        rest = bytes(self._buffer[self._pos :])
        frames: list[Frame] = []
        if self._mode in (_Mode.START, _Mode.LINE) and rest.strip(_SKIPPED_AT_FRAME_START):
            frames.append(Frame(_without_cr(rest), self._line_error))
        elif self._mode is _Mode.OCTETS:
            got = len(rest)
            reason = f"connection closed mid-frame: {got} of {self._count} bytes received"
            frames.append(Frame(rest, reason))
        elif self._mode is _Mode.SKIP_OCTETS:
            frames.append(self._oversized_octets())
        self._reset()
        return frames

    # --- the state machine ----------------------------------------------------------------
    def _step(self, frames: list[Frame]) -> bool:
        """Consume what the current mode can; False when more input is needed."""
        if self._mode is _Mode.START:
            return self._start()
        if self._mode is _Mode.LINE:
            return self._line(frames)
        if self._mode is _Mode.SKIP_LINE:
            return self._skip_line()
        if self._mode is _Mode.OCTETS:
            return self._octets(frames)
        return self._skip_octets(frames)

    def _start(self) -> bool:
        buffer, end = self._buffer, len(self._buffer)
        while self._pos < end and buffer[self._pos] in _SKIPPED_AT_FRAME_START:
            self._pos += 1
        if self._pos == end:
            return False
        if buffer[self._pos] not in _DIGITS:
            self._mode = _Mode.LINE
            return True
        digits_end = self._pos
        while digits_end < end and buffer[digits_end] in _DIGITS:
            digits_end += 1
        digits = bytes(buffer[self._pos : digits_end])
        if len(digits) > _MAX_COUNT_DIGITS:
            return self._malformed(f"malformed octet count: more than {_MAX_COUNT_DIGITS} digits")
        if digits_end == end:
            return False  # the count may go on in the next read
        if buffer[digits_end] != ord(" "):
            self._mode = _Mode.LINE  # digits, then text: a newline-framed message
            return True
        if digits.startswith(b"0"):
            return self._malformed(f"malformed octet count {digits.decode()!r}: leading zero")
        self._count = self._remaining = int(digits)
        self._pos = digits_end + 1
        self._mode = _Mode.OCTETS if self._count <= self._max else _Mode.SKIP_OCTETS
        return True

    def _malformed(self, reason: str) -> bool:
        # Reported with the rest of its line, then framing resumes after the next LF.
        self._line_error = reason
        self._mode = _Mode.LINE
        return True

    def _line(self, frames: list[Frame]) -> bool:
        match = _TERMINATOR.search(self._buffer, max(self._pos, self._scanned))
        if match is None:
            self._scanned = len(self._buffer)
            if len(self._buffer) - self._pos > self._max:
                frames.append(
                    self._oversized(bytes(self._buffer[self._pos : self._pos + self._max]))
                )
                self._pos = len(self._buffer)
                self._mode = _Mode.SKIP_LINE
            return False
        data = _without_cr(bytes(self._buffer[self._pos : match.start()]))
        self._pos = self._scanned = match.end()
        self._mode = _Mode.START
        if len(data) > self._max:
            frames.append(self._oversized(data[: self._max]))
        elif data or self._line_error:
            frames.append(Frame(data, self._line_error))
        self._line_error = None
        return True

    def _skip_line(self) -> bool:
        match = _TERMINATOR.search(self._buffer, self._pos)
        if match is None:
            self._pos = len(self._buffer)
            return False
        self._pos = match.end()
        self._mode = _Mode.START
        return True

    def _octets(self, frames: list[Frame]) -> bool:
        if len(self._buffer) - self._pos < self._remaining:
            return False
        end = self._pos + self._remaining
        frames.append(Frame(bytes(self._buffer[self._pos : end])))
        self._pos, self._remaining = end, 0
        self._mode = _Mode.START
        return True

    def _skip_octets(self, frames: list[Frame]) -> bool:
        take = min(self._remaining, len(self._buffer) - self._pos)
        room = self._max - len(self._kept)
        self._kept += self._buffer[self._pos : self._pos + min(take, room)]
        self._pos += take
        self._remaining -= take
        if self._remaining:
            return False
        frames.append(self._oversized_octets())
        self._kept = bytearray()
        self._mode = _Mode.START
        return True

    def _oversized(self, kept: bytes) -> Frame:
        self._line_error = None
        return Frame(kept, f"frame exceeds {self._max} bytes; first {len(kept)} bytes kept")

    def _oversized_octets(self) -> Frame:
        return Frame(
            bytes(self._kept),
            f"frame exceeds {self._max} bytes (octet count {self._count});"
            f" first {len(self._kept)} bytes kept",
        )


def _without_cr(data: bytes) -> bytes:
    return data[:-1] if data.endswith(b"\r") else data
