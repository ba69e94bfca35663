"""The batcher: cut by size or age, ack snapshots, in-flight accounting, the timer."""

from __future__ import annotations

import threading
from collections.abc import Callable

from canhgac.models import DeadLetter, Event
from ingest.sources.batching import Batcher
from ingest.transport.base import Batch, Sender


class _Collect(Sender):
    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.sent = threading.Event()

    def send(self, batch: Batch) -> None:
        self.batches.append(batch)
        self.sent.set()

    def close(self) -> None:
        pass


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _event(n: int) -> Event:
    return Event(f"e{n}", {"@timestamp": "2026-11-27T00:00:00.000000Z"})


def _dead(n: int) -> DeadLetter:
    return DeadLetter(f"d{n}", "src", "bad", b"raw", "2026-11-27T00:00:00.000000Z")


def test_cut_at_max_records_keeping_events_and_dead_letters_apart() -> None:
    sender = _Collect()
    batcher = Batcher(sender, max_records=3)
    for record in (_event(1), _dead(1), _event(2), _event(3)):
        batcher.add(record)
    [batch] = sender.batches
    assert [e.id for e in batch.events] == ["e1", "e2"]
    assert [d.id for d in batch.dead_letters] == ["d1"]
    batcher.flush()
    assert [e.id for e in sender.batches[1].events] == ["e3"]


def test_partial_batch_is_sent_once_it_is_max_wait_old() -> None:
    sender, clock = _Collect(), _Clock()
    batcher = Batcher(sender, max_wait=0.1, clock=clock)
    batcher.add(_event(1))
    clock.now = 0.09
    batcher.flush_if_due()
    assert sender.batches == []
    clock.now = 0.1
    batcher.flush_if_due()
    assert len(sender.batches) == 1


def test_ack_is_made_when_the_batch_is_cut_and_counted_until_acked() -> None:
    sender, position = _Collect(), [0]
    saved: list[int] = []

    def make_ack() -> Callable[[], None]:
        snapshot = position[0]
        return lambda: saved.append(snapshot)

    batcher = Batcher(sender, max_records=2, make_ack=make_ack)
    for n in range(4):
        position[0] = n + 1
        batcher.add(_event(n))
    assert not batcher.wait_acked(0)
    for batch in sender.batches:
        batch.ack()
    assert saved == [2, 4]
    assert batcher.wait_acked(0)


def test_empty_flush_only_when_asked() -> None:
    sender = _Collect()
    batcher = Batcher(sender)
    batcher.flush()
    assert sender.batches == []
    batcher.flush(even_if_empty=True)
    assert len(sender.batches) == 1 and len(sender.batches[0]) == 0


def test_timer_sends_a_lone_record_and_close_sends_the_rest() -> None:
    sender = _Collect()
    batcher = Batcher(sender, max_wait=0.01)
    batcher.start_timer()
    batcher.add(_event(1))
    assert sender.sent.wait(5)
    batcher.add(_event(2))
    batcher.close()
    assert sorted(e.id for b in sender.batches for e in b.events) == ["e1", "e2"]
