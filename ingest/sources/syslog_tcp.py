"""Syslog over TCP: many concurrent connections, RFC 6587 framing detected per frame.

Each connection is its own stream: identity ``syslog-tcp:<name>:<peer>:<connection start ns>``,
position the frame's sequence number in it. A connection thread that finds the transport full
stops reading, so TCP flow control pushes back on that sender.
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
from ingest.sources.framing import Frame, FrameDecoder
from ingest.sources.listener import ServerSource
from ingest.sources.tls import TlsServer, acceptor
from ingest.transport.base import Sender

log = logging.getLogger(__name__)

READ_BYTES = 64 * 1024
# How soon idle connections notice stop().
_WAKE_SECONDS = 0.05


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

    def _make_server(self) -> _Server:
        return _Server(self, (self._config.host, self._config.port))

    def _bind(self) -> None:
        super()._bind()
        self._batcher.start_timer()

    def _close(self) -> None:
        super()._close()  # connection threads notice _stopping within _WAKE_SECONDS
        self._batcher.close()

    # --- one connection ----------------------------------------------------------------------
    def serve_connection(self, connection: socket.socket, address: Any) -> None:
        peer = peer_text(address)
        identity = f"syslog-tcp:{self.name}:{peer}:{time.time_ns()}"
        decoder = FrameDecoder(self._config.max_message_bytes)
        sequence = 0  # frames so far on this connection
        connection.settimeout(_WAKE_SECONDS)
        try:
            while not self._stopping.is_set():
                try:
                    data = connection.recv(READ_BYTES)
                except TimeoutError:
                    continue
                except OSError as exc:  # reset by the peer, mid-frame or not
                    log.info("%s: connection from %s ended: %s", self.name, peer, exc)
                    break
                if not data:
                    break
                sequence = self._emit(decoder.feed(data), identity, peer, sequence)
            self._emit(decoder.finish(), identity, peer, sequence)
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


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.source.serve_connection(self.request, self.client_address)


class _Server(TlsServer, socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True

    def __init__(self, source: SyslogTcpSource, address: tuple[str, int]) -> None:
        self.address_family = family_for(address[0])
        self.source = source
        self.tls = source.tls
        super().__init__(address, _Handler)
