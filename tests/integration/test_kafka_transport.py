"""The Kafka transport through a real broker into a real store.

Run with the services of deploy/services/up (see tests/integration/conftest.py).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from canhgac.config import KafkaTransportConfig
from canhgac.models import DeadLetter, Event
from canhgac.store.base import Store
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.store.sqlite.store import SQLiteStore
from ingest.transport.base import Batch
from ingest.transport.kafka.client import client_options
from ingest.transport.kafka.receiver import KafkaReceiver
from ingest.transport.kafka.sender import KafkaSender
from ingest.transport.kafka.topics import ensure_topics

from kafka import KafkaAdminClient, KafkaProducer  # isort: skip  (after ingest.transport.kafka)

pytestmark = pytest.mark.integration

HOSTS = ("web-01", "web-02", "db-01", "mail-01", "dns-01")


def _events(start: int, count: int) -> list[Event]:
    return [
        Event(
            f"ev-{i:05d}",
            {
                "@timestamp": f"2026-11-27T10:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
                "event.original": f"<13>Nov 27 10:00:00 {HOSTS[i % 5]} sshd: người dùng {i}",
                "event.dataset": "system.auth",
                "host.name": HOSTS[i % 5],
                "seq": i,
            },
        )
        for i in range(start, start + count)
    ]


def _send(config: KafkaTransportConfig, batches: list[Batch]) -> None:
    sender = KafkaSender(config)
    try:
        for batch in batches:
            sender.send(batch)
        sender.flush(timeout=30)
    finally:
        sender.close()


def _store(store: Store, batch: Batch) -> int:
    new = store.write_events(batch.events)
    store.write_dead_letters(batch.dead_letters)
    return new


def _index_until(
    receiver: KafkaReceiver, store: Store, wanted: int, *, timeout: float = 30.0
) -> list[Batch]:
    """Receive, store and ack until ``wanted`` records went through (the indexer's loop)."""
    batches: list[Batch] = []
    deadline = time.monotonic() + timeout
    while sum(map(len, batches)) < wanted and time.monotonic() < deadline:
        batch = receiver.receive(0.5)
        if batch is None:
            continue
        _store(store, batch)
        batch.ack()
        batches.append(batch)
    return batches


def _receive(receiver: KafkaReceiver, *, timeout: float = 30.0) -> Batch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = receiver.receive(0.5)
        if batch is not None:
            return batch
    raise AssertionError(f"nothing received within {timeout}s")


def test_round_trip_into_elasticsearch_with_acks_in_order(
    kafka_config: KafkaTransportConfig, es_store: ElasticsearchStore
) -> None:
    acked: list[int] = []
    lock = threading.Lock()

    def ack(n: int) -> None:
        with lock:
            acked.append(n)

    letter = DeadLetter("dl-1", "syslog-udp", "not syslog", b"\xff\xfe<13>", "2026-11-27T10:00Z")
    batches = [
        Batch(_events(n * 50, 50), [letter] if n == 2 else [], lambda n=n: ack(n)) for n in range(6)
    ]
    _send(kafka_config, batches)
    assert acked == list(range(6))

    receiver = KafkaReceiver(kafka_config)
    try:
        received = _index_until(receiver, es_store, 301)
    finally:
        receiver.close()
    assert sum(map(len, received)) == 301
    assert es_store.count_events() == 300
    [stored_letter] = es_store.list_dead_letters()
    assert stored_letter == letter
    # One host's events keep their order: they share a partition.
    for host in HOSTS:
        seqs = [
            e.fields["seq"] for b in received for e in b.events if e.fields["host.name"] == host
        ]
        assert seqs == sorted(seqs) and len(seqs) == 60
    [one] = es_store.get_events(["ev-00007"])
    assert one.fields["event.original"].endswith("người dùng 7")


def test_a_new_consumer_resumes_after_the_committed_offsets(
    kafka_config: KafkaTransportConfig, tmp_path: Path
) -> None:
    sent = _events(0, 120)
    _send(kafka_config, [Batch(sent[i : i + 40]) for i in range(0, 120, 40)])
    store = SQLiteStore(tmp_path / "db.sqlite")
    try:
        first = KafkaReceiver(kafka_config, max_records=25)
        try:
            stored_and_acked = _receive(first)
            _store(store, stored_and_acked)
            stored_and_acked.ack()
            unacked = _receive(first)  # received, never stored: must come again
        finally:
            first.close()
        second = KafkaReceiver(kafka_config, max_records=25)
        try:
            rest = _index_until(second, store, 120 - len(stored_and_acked))
        finally:
            second.close()
    finally:
        store.close()
    first_ids = [e.id for e in stored_and_acked.events]
    rest_ids = [e.id for b in rest for e in b.events]
    assert len(rest_ids) == len(set(rest_ids))  # nothing repeated
    assert set(first_ids).isdisjoint(rest_ids)  # committed means not delivered again
    assert set(first_ids) | set(rest_ids) == {e.id for e in sent}  # nothing lost
    assert {e.id for e in unacked.events} <= set(rest_ids)


def test_a_crash_between_store_and_commit_still_stores_each_event_once(
    kafka_config: KafkaTransportConfig, es_store: ElasticsearchStore
) -> None:
    sent = _events(0, 200)
    _send(kafka_config, [Batch(sent[i : i + 50]) for i in range(0, 200, 50)])
    crashed = KafkaReceiver(kafka_config, max_records=40)
    stored_before_crash = 0
    try:
        committed = _receive(crashed)
        stored_before_crash += _store(es_store, committed)
        committed.ack()
        for _ in range(2):  # stored, then a crash before the commit
            stored_before_crash += _store(es_store, _receive(crashed))
    finally:
        crashed.close()
    assert stored_before_crash > len(committed)
    restarted = KafkaReceiver(kafka_config, max_records=40)
    try:
        redelivered = _index_until(restarted, es_store, 200 - len(committed))
    finally:
        restarted.close()
    new_after_restart = es_store.count_events() - stored_before_crash
    assert sum(len(b.events) for b in redelivered) > new_after_restart  # duplicates came...
    assert es_store.count_events() == 200  # ...and were stored once
    ids = {e.id for e in es_store.search_events(None, "", "", limit=1000).events}
    assert ids == {e.id for e in sent}


def test_a_poison_message_becomes_a_dead_letter_with_the_reason(
    kafka_config: KafkaTransportConfig, tmp_path: Path
) -> None:
    producer = KafkaProducer(**client_options(kafka_config))
    try:
        producer.send(kafka_config.topic, value=b"\xff\xfeoops", key=b"web-01")
        producer.send(kafka_config.topic, value=b'{"id": 1, "fields": []}', key=b"web-01")
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)
    _send(kafka_config, [Batch(_events(0, 3))])
    store = SQLiteStore(tmp_path / "db.sqlite")
    try:
        receiver = KafkaReceiver(kafka_config)
        try:
            _index_until(receiver, store, 5)
        finally:
            receiver.close()
        letters = sorted(store.list_dead_letters(), key=lambda d: d.raw)
        assert store.count_events() == 3
    finally:
        store.close()
    assert [d.raw for d in letters] == [b'{"id": 1, "fields": []}', b"\xff\xfeoops"]
    assert "'id' is missing" in letters[0].reason
    assert "not UTF-8" in letters[1].reason
    assert all(d.source == f"kafka:{kafka_config.topic}" for d in letters)


def test_ensure_topics_is_idempotent_and_uses_the_configured_partitions(
    kafka_config: KafkaTransportConfig,
) -> None:
    assert ensure_topics(kafka_config) == []  # the fixture created them already
    admin = KafkaAdminClient(**client_options(kafka_config))
    try:
        topics = admin.describe_topics([kafka_config.topic, kafka_config.dead_letter_topic])
    finally:
        admin.close()
    assert [len(t["partitions"]) for t in topics] == [3, 3]
