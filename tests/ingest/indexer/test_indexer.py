"""The indexer with the real MemoryTransport and a real SQLite store (wrapped to fail)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from canhgac.errors import StoreError
from canhgac.models import DeadLetter, Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.transport.base import Batch
from ingest.transport.memory import MemoryTransport


class FlakyStore(SQLiteStore):
    """Fails the first ``failures`` writes of each kind, then behaves; counts the writes."""

    def __init__(self, path: Path, failures: int = 0, dead_letter_failures: int = 0) -> None:
        super().__init__(path)
        self.failures = failures
        self.dead_letter_failures = dead_letter_failures
        self.event_writes: list[int] = []

    def write_events(self, events: Sequence[Event]) -> int:
        if self.failures:
            self.failures -= 1
            raise StoreError("database is locked")
        self.event_writes.append(len(events))
        return super().write_events(events)

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        if self.dead_letter_failures:
            self.dead_letter_failures -= 1
            raise StoreError("disk I/O error")
        return super().write_dead_letters(letters)


@pytest.fixture
def transport() -> Iterator[MemoryTransport]:
    t = MemoryTransport()
    yield t
    t.close()


def _store(tmp_path: Path, **failures: int) -> FlakyStore:
    return FlakyStore(tmp_path / "canhgac.db", **failures)


def _events(prefix: str, count: int) -> list[Event]:
    return [
        Event(f"{prefix}-{n}", {"@timestamp": "2026-11-27T03:00:00.000000Z", "n": n})
        for n in range(count)
    ]


def _dead(name: str) -> DeadLetter:
    return DeadLetter(name, "src", "unparseable", b"\xff", "2026-11-27T03:00:00.000000Z")


def test_merges_batches_up_to_batch_size_then_acks_each_in_order_after_storing(
    tmp_path: Path, transport: MemoryTransport
) -> None:
    store = _store(tmp_path)
    acked: list[tuple[str, int]] = []
    for name in "abcde":
        ack = (lambda n: lambda: acked.append((n, store.count_events())))(name)
        transport.send(Batch(_events(name, 10), ack=ack))
    indexer = Indexer(transport, store, batch_size=25, batch_wait=0.05)
    assert indexer.run_once(timeout=0) == 30
    assert acked == [("a", 30), ("b", 30), ("c", 30)]  # every ack sees its events stored
    assert indexer.run_once(timeout=0) == 20
    assert store.event_writes == [30, 20]
    store.close()


def test_store_failures_back_off_exponentially_and_retry_the_same_batch(
    tmp_path: Path, transport: MemoryTransport
) -> None:
    store = _store(tmp_path, failures=8)
    delays: list[float] = []
    acked: list[int] = []

    def wait(delay: float) -> bool:
        delays.append(delay)
        assert acked == []  # never acknowledged while unstored
        return False

    transport.send(Batch(_events("a", 5), [_dead("d1")], ack=lambda: acked.append(1)))
    indexer = Indexer(transport, store, batch_wait=0, wait=wait)
    assert indexer.run_once(timeout=0) == 6
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert acked == [1]
    stats = indexer.stats()
    assert (stats.retries, stats.events_written, stats.dead_letters) == (8, 5, 1)
    assert stats.last_error == "database is locked"
    store.close()


def test_dead_letter_failure_does_not_write_or_count_the_events_twice(
    tmp_path: Path, transport: MemoryTransport
) -> None:
    store = _store(tmp_path, dead_letter_failures=2)
    transport.send(Batch(_events("a", 3), [_dead("d1")]))
    indexer = Indexer(transport, store, batch_wait=0, wait=lambda _: False)
    indexer.run_once(timeout=0)
    stats = indexer.stats()
    assert store.event_writes == [3]
    assert (stats.events_written, stats.duplicates, stats.dead_letters) == (3, 0, 1)
    assert store.count_dead_letters() == 1
    store.close()


def test_duplicates_are_counted(tmp_path: Path, transport: MemoryTransport) -> None:
    store = _store(tmp_path)
    indexer = Indexer(transport, store, batch_wait=0)
    transport.send(Batch(_events("a", 4)))
    indexer.run_once(timeout=0)
    transport.send(Batch(_events("a", 6)))
    indexer.run_once(timeout=0)
    stats = indexer.stats()
    assert (stats.events_in, stats.events_written, stats.duplicates) == (10, 6, 4)
    assert store.count_events() == 6
    store.close()


def test_stopping_while_the_store_fails_acks_nothing_and_keeps_the_batch(
    tmp_path: Path, transport: MemoryTransport
) -> None:
    store = _store(tmp_path, failures=1_000_000)
    acked: list[int] = []
    transport.send(Batch(_events("a", 2), ack=lambda: acked.append(1)))
    indexer = Indexer(transport, store, batch_wait=0, backoff_initial=0.001, receive_timeout=0.01)
    indexer.start()
    deadline = time.monotonic() + 10
    while indexer.stats().retries < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    indexer.stop()
    assert acked == [] and store.count_events() == 0
    store.failures = 0
    assert indexer.run_once(timeout=0) == 2  # the kept batch, not a new receive
    assert acked == [1]
    store.close()


def test_stop_drains_what_is_queued(tmp_path: Path, transport: MemoryTransport) -> None:
    store = _store(tmp_path)
    indexer = Indexer(transport, store, batch_size=10, batch_wait=0, receive_timeout=0.01)
    indexer.start()
    indexer.stop()
    for name in "abcd":
        transport.send(Batch(_events(name, 10)))
    indexer.start()
    indexer.stop()
    assert store.count_events() == 40 and transport.pending() == 0
    store.close()


class _CountingReceiver:
    """The transport, noting each batch handed out."""

    def __init__(self, transport: MemoryTransport) -> None:
        self.transport = transport
        self.second_received = threading.Event()
        self.received = 0

    def receive(self, timeout: float) -> Batch | None:
        batch = self.transport.receive(timeout)
        if batch is not None:
            self.received += 1
            if self.received == 2:
                self.second_received.set()
        return batch


class _WaitingStore(FlakyStore):
    """The first event write waits until the indexer has received the next batch."""

    def __init__(self, path: Path, receiver: _CountingReceiver) -> None:
        super().__init__(path)
        self.receiver = receiver
        self.overlapped: bool | None = None

    def write_events(self, events: Sequence[Event]) -> int:
        if self.overlapped is None:
            self.overlapped = self.receiver.second_received.wait(timeout=10)
        return super().write_events(events)


def test_the_indexer_thread_receives_the_next_batch_while_writing_and_acks_in_order(
    tmp_path: Path, transport: MemoryTransport
) -> None:
    receiver = _CountingReceiver(transport)
    store = _WaitingStore(tmp_path / "canhgac.db", receiver)
    acked: list[tuple[str, int]] = []
    done = threading.Event()
    for name in "abc":

        def ack(name: str = name) -> None:
            acked.append((name, store.count_events()))
            if name == "c":
                done.set()

        transport.send(Batch(_events(name, 10), ack=ack))
    indexer = Indexer(receiver, store, batch_size=10, batch_wait=0)
    indexer.start()
    try:
        assert done.wait(timeout=10)
    finally:
        indexer.stop()
        store.close()
    assert store.overlapped is True  # batch b was received while batch a was being written
    # In order, each after its own write (the next write may already have started).
    assert [name for name, _ in acked] == ["a", "b", "c"]
    assert [stored >= 10 * (n + 1) for n, (_, stored) in enumerate(acked)] == [True] * 3
