"""Bounded connection-oriented listeners: who gets a connection slot, and the server that asks.

A stream listener (TCP syslog, HTTP) serves each connection in a thread of its own, so what
bounds its threads and file descriptors is how many connections it admits. The
:class:`ConnectionGate` admits at most ``max_connections`` at once, and at most
``max_per_address`` from one peer address; one more is closed at once, counted, and logged in
at most one line per :data:`LOG_WINDOW` (an attacker opening thousands of connections gets a
counter that grows, not a log that does). Accept failing for want of file descriptors is
logged the same way and slowed down, instead of spinning on a listening socket that stays
readable. The gate also knows every open connection, so ``stop`` can end them all at once
(their threads then need no polling to notice it).

:class:`GatedServer` plugs the gate into a ``socketserver`` threading server.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canhgac.config import StreamListenerConfig
from ingest.sources.addresses import peer_text

log = logging.getLogger(__name__)

LOG_WINDOW = 60.0
# How long the accept loop rests after accept failed (no file descriptor left): the listening
# socket stays readable, and retrying at once would only burn the CPU the others need.
ACCEPT_BACKOFF_SECONDS = 0.1

#: Why a connection was refused: the labels of ``canhgac_source_connections_rejected_total``.
REJECT_REASONS = ("max_connections", "max_connections_per_address", "accept_failed")


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 256
    max_per_address: int = 32
    listen_backlog: int = 128


def limits_of(config: StreamListenerConfig) -> ConnectionLimits:
    return ConnectionLimits(
        max_connections=config.max_connections,
        max_per_address=config.max_connections_per_address,
        listen_backlog=config.listen_backlog,
    )


class QuietLog:
    """A warning logged at most once per window, with how many were held back before it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = -LOG_WINDOW
        self._held = 0

    def warning(self, message: str, *args: object) -> None:
        now = self._clock()
        with self._lock:
            if now - self._last < LOG_WINDOW:
                self._held += 1
                return
            held, self._held, self._last = self._held, 0, now
        if held:
            message += " (and %d more like it in the last minute)"
            args = (*args, held)
        log.warning(message, *args)


class ConnectionGate:
    """The open connections of one listener, within its limits."""

    def __init__(self, name: str, limits: ConnectionLimits) -> None:
        self.name = name
        self.limits = limits
        self._lock = threading.Lock()
        self._by_address: Counter[str] = Counter()
        self._sockets: dict[int, socket.socket] = {}
        self._rejected: Counter[str] = Counter({reason: 0 for reason in REJECT_REASONS})
        self._quiet = QuietLog()
        self._failures = QuietLog()

    @property
    def open(self) -> int:
        with self._lock:
            return len(self._sockets)

    def rejected(self) -> dict[str, int]:
        """Refused connections so far, per reason (every reason present)."""
        with self._lock:
            return dict(self._rejected)

    def admit(self, connection: socket.socket, address: Any) -> bool:
        """Take a slot for ``connection``, or count and (quietly) log why there is none."""
        host = _host(address)
        with self._lock:
            if len(self._sockets) >= self.limits.max_connections:
                reason, limit = "max_connections", self.limits.max_connections
            elif self._by_address[host] >= self.limits.max_per_address:
                reason, limit = "max_connections_per_address", self.limits.max_per_address
            else:
                self._by_address[host] += 1
                self._sockets[id(connection)] = connection
                return True
            self._rejected[reason] += 1
        self._quiet.warning(
            "%s: refusing a connection from %s: %s (%d) reached",
            self.name,
            peer_text(address),
            reason,
            limit,
        )
        return False

    def replace(self, connection: socket.socket, wrapper: socket.socket) -> None:
        """Track ``wrapper`` (a TLS socket that took over ``connection``'s descriptor) in
        its place, so :meth:`end_all` still reaches it."""
        with self._lock:
            if id(connection) in self._sockets:
                self._sockets[id(connection)] = wrapper

    def release(self, connection: socket.socket, address: Any) -> None:
        host = _host(address)
        with self._lock:
            if self._sockets.pop(id(connection), None) is None:
                return
            self._by_address[host] -= 1
            if not self._by_address[host]:
                del self._by_address[host]

    def accept_failed(self, exc: OSError) -> None:
        with self._lock:
            self._rejected["accept_failed"] += 1
        self._quiet.warning("%s: cannot accept a connection: %s", self.name, exc)

    def failed(self, address: Any, error: BaseException | None) -> None:
        self._failures.warning(
            "%s: connection from %s failed: %r", self.name, peer_text(address), error
        )

    def end_all(self) -> None:
        """Stop reading every open connection: their threads see end of input at once."""
        with self._lock:
            connections = list(self._sockets.values())
        for connection in connections:
            try:
                # The plain socket's shutdown, also for a TLS one: ``SSLSocket.shutdown`` would
                # drop the TLS state under the thread still reading it.
                socket.socket.shutdown(connection, socket.SHUT_RD)
            except OSError:  # already closed by its thread or by the peer
                pass


def _host(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) and address else str(address)


class GatedServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A threading TCP server whose connections pass a :class:`ConnectionGate` first."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(
        self,
        gate: ConnectionGate,
        address: tuple[str, int],
        handler: type[socketserver.BaseRequestHandler],
    ) -> None:
        self.gate = gate
        self.request_queue_size = gate.limits.listen_backlog  # socketserver's default is 5
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        try:
            return super().get_request()
        except OSError as exc:  # EMFILE/ENFILE/ENOBUFS: socketserver then skips this round
            self.gate.accept_failed(exc)
            time.sleep(ACCEPT_BACKOFF_SECONDS)
            raise

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # False: socketserver closes the connection without a thread.
        return self.gate.admit(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started (none left): the slot is free again
            self.gate.release(request, client_address)
            raise

    def connection_secured(self, request: Any, secured: socket.socket) -> None:
        self.gate.replace(request, secured)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.gate.release(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A peer resetting its connection is routine: one quiet line, the traceback in debug.
        error = sys.exc_info()[1]
        log.debug("%s: connection from %s failed", self.gate.name, client_address, exc_info=True)
        self.gate.failed(client_address, error)
