"""What a UDP socket lost: the kernel's drop count, and the receive buffer it really got.

UDP has no backpressure: when the reader falls behind (a full transport, a burst), the kernel
drops datagrams once the socket's receive buffer is full, and nobody else ever knows. Linux
reports the socket's cumulative drop count with each datagram read with ``recvmsg`` once
``SO_RXQ_OVFL`` is on; :class:`DropCount` follows it (a count that grew since the last
datagram is logged, at most once per ``log_every`` seconds with the sum). The count reaches
us with the next datagram, so drops at the very end of a burst show when traffic resumes.

The receive buffer is what ``setsockopt(SO_RCVBUF)`` got, which the kernel doubles for its
bookkeeping and caps at ``net.core.rmem_max``; :func:`set_receive_buffer` reports it.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

#: Linux's value; Python's socket module does not name it.
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)
_COUNT = struct.Struct("=I")
#: The ancillary buffer size to pass ``recvmsg`` for the drop count.
ANCILLARY_BYTES = socket.CMSG_SPACE(_COUNT.size)
_WRAP = 1 << 32  # the kernel's counter is 32 bits


def report_drops(sock: socket.socket) -> bool:
    """Ask the kernel to attach the drop count to each datagram; False where unsupported."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    except OSError:
        return False
    return True


def set_receive_buffer(sock: socket.socket, requested: int, name: str) -> int:
    """Set SO_RCVBUF to ``requested`` bytes; returns (and logs) the effective size."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, requested)
    effective = int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    if effective < requested:
        log.warning(
            "%s: receive buffer is %d bytes, less than the %d configured "
            "(net.core.rmem_max caps it; raise that sysctl)",
            name,
            effective,
            requested,
        )
    else:
        log.info("%s: receive buffer %d bytes (%d configured)", name, effective, requested)
    return effective


class DropCount:
    """The cumulative number of datagrams the kernel dropped on one socket."""

    def __init__(
        self,
        name: str,
        *,
        log_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._kernel: int | None = None  # the kernel's last reported (wrapping) count
        self._total = 0
        self._unlogged = 0
        self._logged_at: float | None = None
        self._log_every = log_every
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    def update(self, ancillary: Iterable[tuple[int, int, bytes]]) -> None:
        """Take the count from the ancillary data of one ``recvmsg``."""
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(data) >= _COUNT.size:
                self._seen(_COUNT.unpack_from(data)[0])

    def _seen(self, count: int) -> None:
        with self._lock:
            grown = (count - (self._kernel or 0)) % _WRAP
            self._kernel = count
            if not grown:
                return
            self._total += grown
            self._unlogged += grown
            now = self._clock()
            if self._logged_at is not None and now - self._logged_at < self._log_every:
                return
            self._logged_at, lost, self._unlogged = now, self._unlogged, 0
            total = self._total
        log.warning(
            "%s: the kernel dropped %d datagrams (%d since start): the receive buffer "
            "was full; raise receive_buffer_bytes or find what slows the reader",
            self.name,
            lost,
            total,
        )


def receive(sock: socket.socket, size: int, drops: DropCount) -> tuple[bytes, Any]:
    """One datagram and its sender, updating ``drops`` from its ancillary data."""
    data, ancillary, _flags, peer = sock.recvmsg(size, ANCILLARY_BYTES)
    if ancillary:
        drops.update(ancillary)
    return data, peer
