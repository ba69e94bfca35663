"""The lifecycle every network source shares: bind on ``start``, serve in one thread, ``stop``.

A listening source binds its socket in ``start`` (so a taken port fails ``start``, not a thread
later), serves in one non-daemon thread named ``<protocol>-<name>``, and on ``stop`` wakes that
thread, joins it and closes what it bound. Subclasses say only how to bind, serve and close;
:class:`ServerSource` does that for the ``socketserver`` servers (TCP syslog, HTTP).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from abc import abstractmethod
from typing import ClassVar

from ingest.sources.addresses import peer_text
from ingest.sources.base import Source

log = logging.getLogger(__name__)

# How soon a socketserver's accept loop notices stop().
SERVER_WAKE_SECONDS = 0.05


class ListeningSource(Source):
    #: Names the serving thread and the "listening on" log line.
    protocol: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the real port when configured with port 0)."""
        sock = self._listening_socket()
        if sock is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._stopping.clear()
        self._bind()
        self._thread = threading.Thread(
            target=self._serve, name=f"{self.protocol}-{self.name}", daemon=False
        )
        self._thread.start()
        log.info("%s: listening on %s %s", self.name, self.protocol, peer_text(self.address))

    def stop(self) -> None:
        self._stopping.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._close()

    @abstractmethod
    def _listening_socket(self) -> socket.socket | None:
        """The bound socket, None unless started."""

    @abstractmethod
    def _bind(self) -> None:
        """Bind the socket (closing it again if that fails) and get ready to serve."""

    @abstractmethod
    def _serve(self) -> None:
        """The serving thread: runs until ``_stopping`` is set or ``_interrupt`` wakes it."""

    def _interrupt(self) -> None:
        """Wake the serving thread if ``_stopping`` alone would not (called by ``stop``)."""

    @abstractmethod
    def _close(self) -> None:
        """Close what ``_bind`` opened, after the serving thread ended; safe if never bound."""


class ServerSource(ListeningSource):
    """A listening source whose serving is a ``socketserver`` server's accept loop."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._server: socketserver.TCPServer | None = None

    @abstractmethod
    def _make_server(self) -> socketserver.TCPServer:
        """A bound server (``socketserver`` closes the socket itself when binding fails)."""

    def _listening_socket(self) -> socket.socket | None:
        return None if self._server is None else self._server.socket

    def _bind(self) -> None:
        self._server = self._make_server()

    def _serve(self) -> None:
        assert self._server is not None
        self._server.serve_forever(poll_interval=SERVER_WAKE_SECONDS)

    def _interrupt(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def _close(self) -> None:
        if self._server is not None:
            # Closes the listening socket and joins the connection threads
            # (block_on_close), which notice _stopping on their own.
            self._server.server_close()
            self._server = None
