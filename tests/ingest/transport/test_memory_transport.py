"""The in-process transport: bounded, blocking (never dropping), acks tracked once."""

from __future__ import annotations

import threading
import time

import pytest

from canhgac.errors import TransportError
from canhgac.models import Event
from ingest.transport.base import Batch
from ingest.transport.memory import MemoryTransport


def _batch(n: int) -> Batch:
    return Batch([Event(f"e{n}", {"@timestamp": "2026-11-27T00:00:00.000000Z"})])


def test_a_full_queue_blocks_the_sender_instead_of_dropping() -> None:
    transport = MemoryTransport(capacity=1)
    sent: list[int] = []

    def produce() -> None:
        for n in range(3):
            transport.send(_batch(n))
            sent.append(n)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.2)
    assert sent == [0] and producer.is_alive() and transport.pending() == 1
    received = []
    while len(received) < 3:
        batch = transport.receive(timeout=5)
        assert batch is not None
        received.append(batch.events[0].id)
    producer.join()
    assert received == ["e0", "e1", "e2"]
    transport.close()


def test_close_unblocks_a_waiting_sender_with_an_error() -> None:
    transport = MemoryTransport(capacity=1)
    transport.send(_batch(0))
    errors: list[Exception] = []

    def produce() -> None:
        try:
            transport.send(_batch(1))
        except TransportError as exc:
            errors.append(exc)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.1)
    transport.close()
    producer.join(timeout=5)
    assert not producer.is_alive() and len(errors) == 1


def test_flush_waits_for_acks_and_each_ack_runs_once() -> None:
    transport = MemoryTransport()
    calls: list[int] = []
    transport.send(Batch(ack=lambda: calls.append(1)))
    with pytest.raises(TransportError, match="1 batches still unacknowledged"):
        transport.flush(timeout=0.01)
    batch = transport.receive(timeout=1)
    assert batch is not None
    batch.ack()
    batch.ack()
    transport.flush(timeout=0.01)
    assert calls == [1]
    transport.close()
