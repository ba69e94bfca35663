"""Ack and commit bookkeeping of the Kafka transport, with fake clients (no broker).

The real broker round trips are in tests/integration/test_kafka_transport.py; here the fakes
let a test decide when (and whether) Kafka acknowledges each message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from canhgac.config import KafkaTransportConfig
from canhgac.errors import TransportError
from canhgac.models import DeadLetter, Event
from ingest.transport.base import Batch
from ingest.transport.kafka.codec import encode_dead_letter, encode_event
from ingest.transport.kafka.receiver import KafkaReceiver
from ingest.transport.kafka.sender import KafkaSender

CONFIG = KafkaTransportConfig(bootstrap_servers=["fake:9092"], topic="ev", dead_letter_topic="dl")


class FakeFuture:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], None]] = []
        self.errbacks: list[Callable[[BaseException], None]] = []

    def add_callback(self, f: Callable[..., None], *args: Any) -> FakeFuture:
        self.callbacks.append(lambda value: f(*args, value))
        return self

    def add_errback(self, f: Callable[..., None], *args: Any) -> FakeFuture:
        self.errbacks.append(lambda exc: f(*args, exc))
        return self

    def succeed(self) -> None:
        for callback in self.callbacks:
            callback("metadata")

    def fail(self, exc: BaseException) -> None:
        for errback in self.errbacks:
            errback(exc)


@dataclass
class FakeProducer:
    options: dict[str, Any]
    sent: list[tuple[str, bytes | None, bytes, FakeFuture]] = field(default_factory=list)
    closed: bool = False

    def send(self, topic: str, value: bytes, key: bytes | None) -> FakeFuture:
        future = FakeFuture()
        self.sent.append((topic, key, value, future))
        return future

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def _sender() -> tuple[KafkaSender, FakeProducer]:
    made: list[FakeProducer] = []

    def factory(**options: Any) -> FakeProducer:
        made.append(FakeProducer(options))
        return made[-1]

    return KafkaSender(CONFIG, producer_factory=factory), made[0]


def _event(i: int, host: str = "web-01") -> Event:
    fields = {"@timestamp": "2026-11-27T10:00:00.000000Z", "host.name": host, "n": i}
    return Event(f"e{i}", fields)


def _letter(i: int) -> DeadLetter:
    return DeadLetter(f"d{i}", "syslog-udp", "not syslog", b"\xff\x00", "2026-11-27T10:00:00Z")


def test_producer_is_durable_and_idempotent() -> None:
    sender, producer = _sender()
    assert producer.options["acks"] == "all"
    assert producer.options["enable_idempotence"] is True
    assert producer.options["compression_type"] in {"gzip", "lz4"}
    sender.close()


def test_ack_waits_for_every_message_and_keeps_batch_order() -> None:
    sender, producer = _sender()
    acked: list[str] = []
    sender.send(Batch([_event(1), _event(2, "db-01")], [_letter(1)], lambda: acked.append("a")))
    sender.send(Batch([_event(3)], [], lambda: acked.append("b")))
    sender.send(Batch([], [], lambda: acked.append("c")))  # checkpoint-only batch
    topics = [(topic, key) for topic, key, _, _ in producer.sent]
    assert topics == [("ev", b"web-01"), ("ev", b"db-01"), ("dl", b"syslog-udp"), ("ev", b"web-01")]
    futures = [future for *_, future in producer.sent]
    futures[3].succeed()  # the second batch is complete first...
    futures[0].succeed()
    futures[2].succeed()
    assert acked == []  # ...but nothing is acked while the first still misses a message
    futures[1].succeed()
    sender.flush(timeout=5)
    assert acked == ["a", "b", "c"]
    sender.close()


def test_a_failed_message_stops_all_later_acks_and_further_sends() -> None:
    sender, producer = _sender()
    acked: list[str] = []
    sender.send(Batch([_event(1)], [], lambda: acked.append("a")))
    sender.send(Batch([_event(2)], [], lambda: acked.append("b")))
    first, second = (future for *_, future in producer.sent)
    first.fail(RuntimeError("delivery timed out"))
    second.succeed()
    with pytest.raises(TransportError, match="delivery timed out"):
        sender.flush(timeout=1)
    with pytest.raises(TransportError, match="failed earlier"):
        sender.send(Batch([_event(3)], [], lambda: acked.append("c")))
    sender.close()
    assert acked == []


def test_unsendable_events_become_dead_letters_on_the_dead_letter_topic() -> None:
    sender, producer = _sender()
    bad = Event("e-nan", {"@timestamp": "2026-11-27T10:00:00Z", "x": float("nan")})
    huge = Event("e-big", {"@timestamp": "2026-11-27T10:00:00Z", "event.original": "x" * 10**6})
    sender.send(Batch([bad, _event(1), huge], []))
    sent = [(topic, json.loads(value)) for topic, _, value, _ in producer.sent]
    assert [topic for topic, _ in sent] == ["ev", "dl", "dl"]
    letters = {doc["id"]: doc for topic, doc in sent if topic == "dl"}
    assert "cannot send the event through Kafka" in letters["e-nan"]["reason"]
    assert "over 900000" in letters["e-big"]["reason"]
    sender.close()


def test_a_full_sender_blocks_until_kafka_acknowledges() -> None:
    made: list[FakeProducer] = []

    def factory(**options: Any) -> FakeProducer:
        made.append(FakeProducer(options))
        return made[-1]

    sender = KafkaSender(CONFIG, producer_factory=factory, max_in_flight_batches=1)
    sender.send(Batch([_event(1)], []))
    second_sent = threading.Event()

    def send_second() -> None:
        sender.send(Batch([_event(2)], []))
        second_sent.set()

    thread = threading.Thread(target=send_second)
    thread.start()
    assert not second_sent.wait(0.2)
    made[0].sent[0][3].succeed()
    assert second_sent.wait(5)
    thread.join()
    sender.close()


# --- receiver ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass
class FakeConsumer:
    topics: tuple[str, ...]
    options: dict[str, Any]
    polls: list[dict[Any, list[Record]]] = field(default_factory=list)
    commits: list[dict[Any, Any]] = field(default_factory=list)
    commit_error: BaseException | None = None
    closed_with: bool | None = None

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        return self.polls.pop(0) if self.polls else {}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def commit(self, offsets: dict[Any, Any]) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.commits.append({(tp.topic, tp.partition): o.offset for tp, o in offsets.items()})

    def close(self, autocommit: bool = True) -> None:
        self.closed_with = autocommit


def _receiver() -> tuple[KafkaReceiver, FakeConsumer]:
    made: list[FakeConsumer] = []

    def factory(*topics: str, **options: Any) -> FakeConsumer:
        made.append(FakeConsumer(topics, options))
        return made[-1]

    return KafkaReceiver(CONFIG, consumer_factory=factory), made[0]


def _tp(topic: str, partition: int) -> Any:
    from kafka.structs import TopicPartition

    return TopicPartition(topic, partition)


def test_consumer_reads_both_topics_without_auto_commit() -> None:
    receiver, consumer = _receiver()
    assert consumer.topics == ("ev", "dl")
    assert consumer.options["enable_auto_commit"] is False
    assert consumer.options["group_id"] == "canhgac-indexer"
    receiver.close()
    assert consumer.closed_with is False


def test_batch_ack_commits_exactly_its_offsets_plus_one() -> None:
    receiver, consumer = _receiver()
    consumer.polls = [
        {
            _tp("ev", 0): [
                Record("ev", 0, 7, encode_event(_event(1))),
                Record("ev", 0, 8, encode_event(_event(2))),
            ],
            _tp("dl", 1): [Record("dl", 1, 3, encode_dead_letter(_letter(1)))],
        },
        {_tp("ev", 0): [Record("ev", 0, 9, encode_event(_event(3)))]},
    ]
    first = receiver.receive(0.1)
    second = receiver.receive(0.1)
    assert first is not None and second is not None
    assert [e.id for e in first.events] == ["e1", "e2"]
    assert first.dead_letters == [_letter(1)]
    assert consumer.commits == []  # nothing is committed before the store acks
    second.ack()
    first.ack()  # late and lower: never moves the committed offset backwards
    assert consumer.commits == [{("ev", 0): 10}, {("dl", 1): 4}]
    assert receiver.receive(0.1) is None
    receiver.close()


def test_poison_messages_become_dead_letters_with_the_reason() -> None:
    receiver, consumer = _receiver()
    consumer.polls = [
        {
            _tp("ev", 2): [
                Record("ev", 2, 0, b"\xff not json"),
                Record("ev", 2, 1, b'{"id": "x"}'),
                Record("ev", 2, 2, None),
                Record("ev", 2, 3, encode_event(_event(1))),
            ],
            _tp("dl", 0): [Record("dl", 0, 5, b'{"id": "d"}')],
        }
    ]
    batch = receiver.receive(0.1)
    assert batch is not None
    assert [e.id for e in batch.events] == ["e1"]
    reasons = [d.reason for d in batch.dead_letters]
    assert "not UTF-8" in reasons[0]
    assert "'fields' is missing" in reasons[1]
    assert "no value" in reasons[2]
    assert "dead letter without string" in reasons[3]
    assert batch.dead_letters[0].raw == b"\xff not json"
    assert batch.dead_letters[0].context == {"topic": "ev", "partition": 2, "offset": 0}
    again = receiver.receive(0.1)
    assert again is None
    # The same poison message read again after a crash gets the same dead-letter id.
    consumer.polls = [{_tp("ev", 2): [Record("ev", 2, 0, b"\xff not json")]}]
    reread = receiver.receive(0.1)
    assert reread is not None and reread.dead_letters[0].id == batch.dead_letters[0].id
    receiver.close()


def test_commit_after_a_rebalance_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    import kafka.errors

    receiver, consumer = _receiver()
    consumer.polls = [{_tp("ev", 0): [Record("ev", 0, 0, encode_event(_event(1)))]}]
    batch = receiver.receive(0.1)
    assert batch is not None
    consumer.commit_error = kafka.errors.CommitFailedError("group rebalanced")
    batch.ack()
    assert "partitions were reassigned" in caplog.text
    consumer.commit_error = kafka.errors.KafkaConnectionError("broker gone")
    consumer.polls = [{_tp("ev", 0): [Record("ev", 0, 1, encode_event(_event(2)))]}]
    other = receiver.receive(0.1)
    assert other is not None
    with pytest.raises(TransportError, match="committing offsets"):
        other.ack()
    receiver.close()


def test_a_receiver_waits_for_its_topics_partitions_then_polls_anyway(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ingest.transport.kafka import receiver as receiver_module

    asked: list[str] = []

    class Unknown(FakeConsumer):
        def partitions_for_topic(self, topic: str) -> set[int]:
            asked.append(topic)
            return set()  # the metadata does not know the topic yet

    monkeypatch.setattr(receiver_module, "METADATA_WAIT_S", 0.3)
    with caplog.at_level(logging.WARNING, logger="ingest.transport.kafka.receiver"):
        KafkaReceiver(CONFIG, consumer_factory=lambda *t, **o: Unknown(t, o))
    assert len(asked) > 1  # asked again, not once
    assert "no partitions known yet" in caplog.text
