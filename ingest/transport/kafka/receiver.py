"""The consuming end: indexers read the events and dead-letter topics and commit a batch's
offsets only once the store wrote it (delivery contract in :mod:`ingest.transport.kafka`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import kafka.errors
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata, TopicPartition

from canhgac.config import KafkaTransportConfig
from canhgac.models import DeadLetter, Event
from ingest.transport.base import Batch, Receiver
from ingest.transport.kafka.client import client_options, kafka_errors, translate
from ingest.transport.kafka.codec import (
    PoisonMessage,
    decode_dead_letter,
    decode_event,
    poison_letter,
)
from ingest.transport.kafka.metadata_loop import revive

log = logging.getLogger(__name__)

# How long a new consumer waits to know its topics' partitions before its first poll.
METADATA_WAIT_S = 30.0

# Commit failures that only mean "this partition is someone else's now".
_REASSIGNED = (
    kafka.errors.CommitFailedError,
    kafka.errors.RebalanceInProgressError,
    kafka.errors.IllegalGenerationError,
    kafka.errors.UnknownMemberIdError,
)


class KafkaReceiver(Receiver):
    """Consumes the events and dead-letter topics as one consumer-group member."""

    def __init__(
        self,
        config: KafkaTransportConfig,
        *,
        max_records: int = 2000,
        client_id: str = "canhgac-indexer",
        consumer_factory: Callable[..., Any] = KafkaConsumer,
    ) -> None:
        self._event_topic = config.topic
        self._max_records = max_records
        options = client_options(config)
        with kafka_errors("starting the consumer"):
            self._consumer = consumer_factory(
                config.topic,
                config.dead_letter_topic,
                **options,
                client_id=client_id,
                group_id=config.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=max_records,
            )
            self._await_partitions([config.topic, config.dead_letter_topic])
        # kafka-python consumers are not thread-safe; acks may come from another thread.
        self._lock = threading.RLock()
        self._committed: dict[TopicPartition, int] = {}

    def _await_partitions(self, topics: list[str]) -> None:
        """Know every topic's partitions before the first poll joins the group. A consumer
        that joins without them (the topics created a moment before) is assigned nothing and
        sits idle until its next metadata refresh notices them (seen in CI: "No partition
        metadata for topic", nothing indexed for a minute)."""
        deadline = time.monotonic() + METADATA_WAIT_S
        while not all(self._consumer.partitions_for_topic(topic) for topic in topics):
            if time.monotonic() >= deadline:
                log.warning(
                    "Kafka: no partitions known yet for %s; polling anyway (the next "
                    "metadata refresh picks them up)",
                    ", ".join(topics),
                )
                return
            time.sleep(0.2)

    def receive(self, timeout: float) -> Batch | None:
        with self._lock, kafka_errors("polling"):
            polled = self._consumer.poll(
                timeout_ms=int(max(timeout, 0.0) * 1000), max_records=self._max_records
            )
            revive(self._consumer)  # see metadata_loop: a broker's death can end it
        if not polled:
            return None
        events: list[Event] = []
        letters: list[DeadLetter] = []
        offsets: dict[TopicPartition, int] = {}
        for partition, records in polled.items():
            for record in records:
                self._decode(record, events, letters)
            offsets[partition] = records[-1].offset + 1
        return Batch(events, letters, partial(self._commit, offsets))

    def _decode(self, record: Any, events: list[Event], letters: list[DeadLetter]) -> None:
        try:
            if record.topic == self._event_topic:
                events.append(decode_event(record.value))
            else:
                letters.append(decode_dead_letter(record.value))
        except PoisonMessage as exc:
            letters.append(
                poison_letter(record.topic, record.partition, record.offset, record.value, str(exc))
            )

    def _commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        with self._lock:
            due = {tp: n for tp, n in offsets.items() if n > self._committed.get(tp, -1)}
            if not due:
                return
            try:
                self._consumer.commit(
                    offsets={tp: OffsetAndMetadata(n, "", -1) for tp, n in due.items()}
                )
            except _REASSIGNED as exc:
                log.warning("offsets not committed, partitions were reassigned: %s", exc)
                return
            except (kafka.errors.KafkaError, OSError) as exc:
                raise translate("committing offsets", exc) from exc
            self._committed.update(due)

    def lag(self) -> int | None:
        """Messages of this member's partitions not yet stored and committed: the broker's
        high watermark (as of the last fetch) minus the offset this member committed. None
        until this member has both for at least one partition (for metrics).

        Reads without the consumer lock on purpose: the indexer thread polls in a tight loop
        and would starve a scrape waiting for it; these are plain reads of the consumer's
        bookkeeping, at worst one poll stale."""
        committed = dict(self._committed)
        known = [
            (end, committed[tp])
            for tp in self._consumer.assignment()
            if tp in committed and (end := self._consumer.highwater(tp)) is not None
        ]
        return sum(max(end - done, 0) for end, done in known) if known else None

    def close(self) -> None:
        """Leave the group without committing anything not acknowledged."""
        with self._lock, kafka_errors("closing the consumer"):
            self._consumer.close(autocommit=False)
