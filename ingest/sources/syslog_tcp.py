"""Syslog over TCP: many concurrent connections, RFC 6587 framing detected per frame.

Each connection is its own stream: identity ``syslog-tcp:<name>:<peer>:<connection start ns>``,
position the frame's sequence number in it. A connection thread that finds the transport full
stops reading, so TCP flow control pushes back on that sender.

Connections are bounded (:mod:`ingest.sources.connections`): at most ``max_connections`` at
once (``max_connections_per_address`` from one address), a connection silent for
``idle_timeout`` is closed, and so is one that began a frame and did not finish it within
``read_timeout`` (what it sent is dead-lettered); ``stop`` ends every connection at once.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import time
from typing import Any

from canhgac.config import SyslogTcpSourceConfig
from canhgac.errors import TransportError
from canhgac.models import DeadLetter, Event, event_id
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.sources.addresses import family_for, peer_text
from ingest.sources.batching import Batcher
from ingest.sources.connections import ConnectionGate, GatedServer, limits_of
from ingest.sources.framing import Frame, FrameDecoder
from ingest.sources.listener import ServerSource
from ingest.sources.tls import TlsServer, acceptor
from ingest.transport.base import Sender

log = logging.getLogger(__name__)

READ_BYTES = 64 * 1024


class SyslogTcpSource(ServerSource):
    protocol = "tcp"

    def __init__(
        self,
        config: SyslogTcpSourceConfig,
        sender: Sender,
        *,
        batch_records: int = 500,
        batch_wait: float = 0.1,
    ) -> None:
        super().__init__(config.name)
        self._config = config
        self.tls = acceptor(config.tls, config.name, self._stopping, one_way=True)
        self._batcher = Batcher(
            sender, name=config.name, max_records=batch_records, max_wait=batch_wait
        )
        self.connections = ConnectionGate(config.name, limits_of(config))

    def _make_server(self) -> _Server:
        return _Server(self, (self._config.host, self._config.port))

    def _interrupt(self) -> None:
        super()._interrupt()  # no new connections from here on
        self.connections.end_all()

    def _bind(self) -> None:
        super()._bind()
        self._batcher.start_timer()

    def _close(self) -> None:
        super()._close()  # joins the connection threads, which end_all() woke
        self._batcher.close()

    # --- one connection ----------------------------------------------------------------------
    def serve_connection(self, connection: socket.socket, address: Any) -> None:
        peer = peer_text(address)
        identity = f"syslog-tcp:{self.name}:{peer}:{time.time_ns()}"
        decoder = FrameDecoder(self._config.max_message_bytes)
        sequence = 0  # frames so far on this connection
        cut: str | None = None  # why the connection was closed on a deadline
        deadline = _Deadline(
            self._config.idle_timeout.total_seconds(), self._config.read_timeout.total_seconds()
        )
        try:
            while not self._stopping.is_set():
                try:
                    connection.settimeout(deadline.left())
                    data = connection.recv(READ_BYTES)
                except TimeoutError:
                    cut = deadline.what()
                    log.info("%s: closing %s: %s", self.name, peer, cut)
                    break
                except OSError as exc:  # reset by the peer, mid-frame or not
                    log.info("%s: connection from %s ended: %s", self.name, peer, exc)
                    break
                if not data:
                    break
                frames = decoder.feed(data)
                sequence = self._emit(frames, identity, peer, sequence)
                deadline.received(len(frames), decoder.pending)
            # A frame cut by its deadline is not a message the sender finished: dead letter.
            rest = [Frame(f.data, f.error or cut) if cut else f for f in decoder.finish()]
            self._emit(rest, identity, peer, sequence)
        except TransportError as exc:
            log.error("%s: transport refused a batch, closing %s: %s", self.name, peer, exc)

    def _emit(self, frames: list[Frame], identity: str, peer: str, sequence: int) -> int:
        """Batch the frames of one read; returns the connection's new frame count."""
        if not frames:
            return sequence
        origin = Origin(
            source=self.name,
            identity=identity,
            received_at=now_iso(),
            parser=self._config.parser,
            encoding=self._config.encoding,
            dataset=self._config.dataset,
            timezone=self._config.timezone,
            year=self._config.year,
            peer=peer,
        )
        for frame in frames:
            sequence += 1
            self._batcher.add(self._record(frame, origin, sequence))
        return sequence

    def _record(self, frame: Frame, origin: Origin, sequence: int) -> Event | DeadLetter:
        if frame.error is None:
            return to_record(frame.data, origin, sequence)
        return DeadLetter(
            id=event_id(origin.identity, sequence),
            source=self.name,
            reason=frame.error,
            raw=frame.data,
            received_at=origin.received_at,
            context={"identity": origin.identity, "peer": origin.peer},
        )


class _Deadline:
    """When a connection must next send something: within the idle timeout between frames,
    by the frame's deadline inside one (a frame begun gets no more time by trickling)."""

    def __init__(self, idle: float, frame: float) -> None:
        self._idle, self._frame = idle, frame
        self._last = self._frame_began = time.monotonic()
        self._pending = False  # mid-frame

    def received(self, frames: int, pending: bool) -> None:
        """A read ended ``frames`` frames and left a frame ``pending`` or not."""
        now = time.monotonic()
        if pending and (frames or not self._pending):
            self._frame_began = now  # the pending frame began in this read
        self._pending, self._last = pending, now

    def left(self) -> float:
        end = self._last + self._idle
        if self._pending:
            end = min(end, self._frame_began + self._frame)
        return max(end - time.monotonic(), 0.001)

    def what(self) -> str:
        if self._pending:
            return f"frame not complete within {self._frame:g} s"
        return f"idle for {self._idle:g} s"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.source.serve_connection(self.request, self.client_address)


class _Server(GatedServer, TlsServer):
    def __init__(self, source: SyslogTcpSource, address: tuple[str, int]) -> None:
        self.address_family = family_for(address[0])
        self.source = source
        self.tls = source.tls
        super().__init__(source.connections, address, _Handler)
