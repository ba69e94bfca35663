"""Syslog over UDP: one datagram is one record.

UDP cannot be replayed, so ids only need to be unique: the position is a sequence seeded from
the clock at start. A full transport blocks this thread, and the kernel's socket buffer then
drops datagrams: the buffer is enlarged to ride out short stalls (``receive_buffer_bytes``),
and what is dropped anyway is counted (:mod:`ingest.sources.udp_drops`).
"""

from __future__ import annotations

import logging
import socket
import time

from canhgac.config import SyslogUdpSourceConfig
from canhgac.errors import TransportError
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.sources.addresses import family_for, peer_text
from ingest.sources.batching import Batcher
from ingest.sources.listener import ListeningSource
from ingest.sources.udp_drops import DropCount, receive, report_drops, set_receive_buffer
from ingest.transport.base import Sender

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65_535
# How long a blocked recvfrom waits before the thread checks whether it should stop.
_WAKE_SECONDS = 0.1


class SyslogUdpSource(ListeningSource):
    protocol = "udp"

    def __init__(
        self,
        config: SyslogUdpSourceConfig,
        sender: Sender,
        *,
        batch_records: int = 500,
        batch_wait: float = 0.1,
    ) -> None:
        super().__init__(config.name)
        self._config = config
        self._identity = f"syslog-udp:{config.name}"
        self._batcher = Batcher(
            sender, name=config.name, max_records=batch_records, max_wait=batch_wait
        )
        self._sequence = 0
        self._socket: socket.socket | None = None
        self.drops = DropCount(config.name)
        self.receive_buffer = 0  # the effective SO_RCVBUF once started

    def _listening_socket(self) -> socket.socket | None:
        return self._socket

    def _bind(self) -> None:
        sock = socket.socket(family_for(self._config.host), socket.SOCK_DGRAM)
        try:
            self.receive_buffer = set_receive_buffer(
                sock, self._config.receive_buffer_bytes, self.name
            )
            report_drops(sock)
            sock.bind((self._config.host, self._config.port))
            sock.settimeout(_WAKE_SECONDS)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self._sequence = time.time_ns()
        self._batcher.start_timer()

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._batcher.close()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stopping.is_set():
            try:
                data, peer = receive(self._socket, MAX_DATAGRAM, self.drops)
            except TimeoutError:
                continue
            except OSError as exc:
                log.warning("%s: receive failed: %s", self.name, exc)
                self._stopping.wait(_WAKE_SECONDS)
                continue
            try:
                self._handle(data, peer_text(peer))
            except TransportError as exc:
                log.error("%s: transport refused a batch, listening stops: %s", self.name, exc)
                return

    def _handle(self, data: bytes, peer: str) -> None:
        # Many senders end a datagram with LF or NUL; neither is part of the message.
        data = data.rstrip(b"\x00\r\n")
        if not data:
            return
        self._sequence += 1
        origin = Origin(
            source=self.name,
            identity=self._identity,
            received_at=now_iso(),
            parser=self._config.parser,
            encoding=self._config.encoding,
            dataset=self._config.dataset,
            timezone=self._config.timezone,
            year=self._config.year,
            peer=peer,
        )
        self._batcher.add(to_record(data, origin, self._sequence))
