"""A socket reader with deadlines for a whole request, not for each ``recv``.

A socket timeout bounds one ``recv``: a client sending one byte every few seconds (slowloris)
keeps a request, its thread and its connection slot forever. This reader gives a connection
``idle`` seconds to begin a request and, from its first byte, ``request`` seconds to deliver
all of it; past either, reading raises :class:`TimeoutError` (which ``http.server`` answers by
closing the connection).
"""

from __future__ import annotations

import io
import socket
import time


class DeadlineReader(io.RawIOBase):
    def __init__(self, connection: socket.socket, *, idle: float, request: float) -> None:
        super().__init__()
        self._connection = connection
        self._idle, self._request = idle, request
        self._deadline = 0.0
        self._in_request = False
        self.between_requests()

    def between_requests(self) -> None:
        """The next byte begins a request: the idle deadline runs until then."""
        self._deadline = time.monotonic() + self._idle
        self._in_request = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        left = self._deadline - time.monotonic()
        if left <= 0:
            what = "request not complete" if self._in_request else "idle"
            raise TimeoutError(
                f"{what} within {self._request if self._in_request else self._idle:g} s"
            )
        self._connection.settimeout(left)
        received = self._connection.recv_into(buffer)
        if received and not self._in_request:
            self._in_request = True
            self._deadline = time.monotonic() + self._request
        return received
