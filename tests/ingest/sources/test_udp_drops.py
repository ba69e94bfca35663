"""UDP loss is measured: a burst into a paused reader's small buffer loses datagrams in the
kernel, and the source counts exactly the ones it never received."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from canhgac.config import SyslogUdpSourceConfig
from canhgac.models import Event
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.sources.udp_drops import SO_RXQ_OVFL, DropCount
from ingest.transport.base import Batch, Sender


class GatedSender(Sender):
    """Holds the source's reader inside ``send`` until the gate opens."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def send(self, batch: Batch) -> None:
        self.gate.wait()
        with self._lock:
            self.events.extend(batch.events)
        batch.ack()

    def originals(self) -> list[str]:
        with self._lock:
            return [str(event.fields["event.original"]) for event in self.events]

    def close(self) -> None:
        self.gate.set()


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_a_burst_into_a_paused_reader_counts_sent_minus_received() -> None:
    sender = GatedSender()
    config = SyslogUdpSourceConfig(
        name="udp-burst", port=0, parser="raw", receive_buffer_bytes=4096
    )
    source = SyslogUdpSource(config, sender, batch_records=1, batch_wait=0.01)
    source.start()
    try:
        # The kernel doubles the request for its bookkeeping; the source reports what it got.
        assert 4096 <= source.receive_buffer <= 2 * 4096
        sent = 2000
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"first", source.address)
            time.sleep(0.2)  # the reader now blocks in send() on "first"
            for number in range(sent):
                client.sendto(f"burst {number:05d} ".encode() + b"x" * 200, source.address)
            sender.gate.set()
            # Drain what the kernel kept, then a marker brings the final drop count along.
            _wait(lambda: len(sender.originals()) > 1)
            time.sleep(0.3)
            client.sendto(b"marker", source.address)
            _wait(lambda: "marker" in sender.originals())
        received = [text for text in sender.originals() if text.startswith("burst ")]
        assert 0 < len(received) < sent
        assert source.drops.total == sent - len(received)
    finally:
        source.stop()


def test_the_count_survives_the_kernel_counter_wrapping(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    drops = DropCount("udp", log_every=10.0, clock=lambda: now[0])

    def datagram(count: int) -> list[tuple[int, int, bytes]]:
        return [(socket.SOL_SOCKET, SO_RXQ_OVFL, count.to_bytes(4, "little"))]

    with caplog.at_level(logging.WARNING, logger="ingest.sources.udp_drops"):
        drops.update(datagram(0))
        drops.update(datagram(5))  # logged at once
        now[0] = 1.0
        drops.update(datagram(7))  # within 10 s: summed, not logged
        drops.update(datagram(7))  # no growth
        now[0] = 12.0
        drops.update(datagram((1 << 32) - 1))
        drops.update(datagram(3))  # wrapped: 4 more
    assert drops.total == (1 << 32) - 1 + 4
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "dropped 5 datagrams (5 since start)" in messages[0]
    assert f"dropped {(1 << 32) - 1 - 5} datagrams" in messages[1]
