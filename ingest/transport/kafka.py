"""The scaled transport: collectors produce to Kafka, indexers consume from it.

Delivery contract (end-to-end acknowledgements, at-least-once, made exactly-once in the store
by deterministic event ids):

- :class:`KafkaSender` produces one message per event (format in
  :mod:`ingest.transport.kafka_codec`) with ``acks=all`` and idempotence, and calls a batch's
  ``ack`` only when Kafka acknowledged every message of it, batches in the order sent. If a
  message fails for good (Kafka unreachable for ``delivery_timeout_ms``), that batch and every
  later one stay unacknowledged and ``send``/``flush`` raise :class:`TransportError` from then
  on: acknowledging a later batch would move a file checkpoint past lines Kafka never got.
  The process must be restarted; sources then re-read from their last checkpoint.
- dead letters (and events that cannot be serialized or are too large) go to the dead-letter
  topic; the indexer's :class:`KafkaReceiver` reads both topics and hands dead letters to the
  store like any other.
- :class:`KafkaReceiver` never auto-commits. A batch's ``ack`` (called by the indexer after
  the store wrote the batch) commits exactly that batch's offsets (last offset + 1 per
  partition). A message that is not a canhgac message (bad JSON, wrong shape) becomes a
  dead letter *in the batch* with the reason, so it is stored and committed together with the
  rest of the batch instead of being re-read forever or produced to another topic.
- the indexer must store (and ack) a batch before acknowledging later ones (it retries the
  same batch until stored); a commit that fails because the partition moved to another
  consumer is only logged, since the new owner re-reads those messages and the store ignores
  the ids it already has.

Every ``kafka`` exception is translated to :class:`TransportError` by :func:`_translate`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # kafka-python 3.0 loads its protocol schemas at import time through importlib.resources
    # functions that Python 3.11 deprecates; silence exactly those, once, here.
    warnings.filterwarnings(
        "ignore", r".* is deprecated\. Use files\(\) instead", DeprecationWarning
    )
    import kafka.errors
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.codec import has_lz4
    from kafka.structs import OffsetAndMetadata, TopicPartition

from canhgac.config import KafkaTransportConfig
from canhgac.errors import ConfigError, TransportError
from canhgac.models import DeadLetter, Event
from ingest.transport.base import Batch, Receiver, Sender
from ingest.transport.kafka_codec import (
    PoisonMessage,
    dead_letter_key,
    decode_dead_letter,
    decode_event,
    encode_dead_letter,
    encode_event,
    event_key,
    poison_letter,
    unsendable,
)

log = logging.getLogger(__name__)

_TOPIC = re.compile(r"^[A-Za-z0-9._\-]{1,249}$")
_TOPIC_EXISTS = kafka.errors.TopicAlreadyExistsError.errno
# Commit failures that only mean "this partition is someone else's now".
_REASSIGNED = (
    kafka.errors.CommitFailedError,
    kafka.errors.RebalanceInProgressError,
    kafka.errors.IllegalGenerationError,
    kafka.errors.UnknownMemberIdError,
)


# --- configuration --------------------------------------------------------------------------
def client_options(config: KafkaTransportConfig) -> dict[str, Any]:
    """The kafka-python connection and security options, after checking they make sense
    together (a setting that would be silently ignored is an error, not a surprise)."""
    problems: list[str] = []
    if not config.bootstrap_servers:
        problems.append("transport.bootstrap_servers: at least one broker is required")
    for name, topic in (("topic", config.topic), ("dead_letter_topic", config.dead_letter_topic)):
        if not _TOPIC.match(topic):
            problems.append(f"transport.{name}: {topic!r} is not a valid Kafka topic name")
    if config.topic == config.dead_letter_topic:
        problems.append("transport.dead_letter_topic: must differ from transport.topic")
    if config.partitions < 1:
        problems.append("transport.partitions: must be at least 1")
    problems += _security_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    options: dict[str, Any] = {
        "bootstrap_servers": list(config.bootstrap_servers),
        "security_protocol": config.security_protocol,
    }
    if config.security_protocol.startswith("SASL_"):
        assert config.sasl_password is not None  # checked above
        options.update(
            sasl_mechanism=config.sasl_mechanism,
            sasl_plain_username=config.sasl_username,
            sasl_plain_password=config.sasl_password.get_secret_value(),
        )
    if config.ssl_cafile:
        options["ssl_cafile"] = config.ssl_cafile
    return options


def _security_problems(config: KafkaTransportConfig) -> list[str]:
    protocol = config.security_protocol
    sasl = protocol.startswith("SASL_")
    tls = protocol.endswith("SSL")
    problems: list[str] = []
    given = {
        "sasl_mechanism": config.sasl_mechanism,
        "sasl_username": config.sasl_username,
        "sasl_password": config.sasl_password,
    }
    if sasl:
        problems += [f"transport.{k}: required with {protocol}" for k, v in given.items() if not v]
        if config.sasl_mechanism == "PLAIN" and not tls:
            problems.append(
                "transport.sasl_mechanism: PLAIN over SASL_PLAINTEXT sends the password in"
                " clear text; use SASL_SSL or a SCRAM mechanism"
            )
    else:
        problems += [
            f"transport.{k}: only used with SASL_PLAINTEXT or SASL_SSL, not {protocol}"
            for k, v in given.items()
            if v
        ]
    if config.ssl_cafile:
        if not tls:
            problems.append(f"transport.ssl_cafile: only used with SSL or SASL_SSL, not {protocol}")
        elif not Path(config.ssl_cafile).is_file():
            problems.append(f"transport.ssl_cafile: {config.ssl_cafile} is not a readable file")
    return problems


# --- errors ---------------------------------------------------------------------------------
def _translate(action: str, exc: BaseException) -> TransportError:
    if isinstance(exc, kafka.errors.KafkaConnectionError):
        return TransportError(f"Kafka {action}: cannot reach a broker: {exc}")
    if isinstance(exc, kafka.errors.KafkaTimeoutError):
        return TransportError(f"Kafka {action}: timed out: {exc}")
    return TransportError(f"Kafka {action}: {type(exc).__name__}: {exc}")


@contextmanager
def _kafka_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (kafka.errors.KafkaError, OSError) as exc:
        raise _translate(action, exc) from exc


# --- topics ---------------------------------------------------------------------------------
def ensure_topics(config: KafkaTransportConfig, *, timeout: float = 30.0) -> list[str]:
    """Create the events and dead-letter topics if missing; returns the ones created.

    Idempotent. An existing topic is left as it is, even with fewer partitions than
    configured: adding partitions moves keys to other partitions, which breaks per-host
    order for a while, so that stays an operator's decision. Replication follows the
    brokers' ``default.replication.factor``.
    """
    options = client_options(config)
    wanted = {config.topic: config.partitions, config.dead_letter_topic: config.partitions}
    with _kafka_errors("creating topics"):
        admin = KafkaAdminClient(**options, client_id="canhgac-admin")
        try:
            response = admin.create_topics(
                {name: {"num_partitions": count} for name, count in wanted.items()},
                timeout_ms=int(timeout * 1000),
                raise_errors=False,
            )
            created: list[str] = []
            for topic in response["topics"]:
                code = topic["error_code"]
                if code == 0:
                    created.append(topic["name"])
                elif code != _TOPIC_EXISTS:
                    error = kafka.errors.for_code(code)
                    raise TransportError(
                        f"Kafka: cannot create topic {topic['name']}: {error.__name__}"
                        f" {topic.get('error_message') or ''}".rstrip()
                    )
            admin.wait_for_topics(list(wanted), timeout_ms=int(timeout * 1000))
        finally:
            admin.close()
    return created


# --- sender ---------------------------------------------------------------------------------
@dataclass(slots=True)
class _InFlight:
    """A sent batch: its ack and how many of its messages Kafka has not acknowledged yet."""

    ack: Callable[[], None]
    remaining: int


class KafkaSender(Sender):
    """Produces batches; acknowledges each once Kafka has all of it (see module doc)."""

    def __init__(
        self,
        config: KafkaTransportConfig,
        *,
        max_in_flight_batches: int = 64,
        linger_ms: int = 10,
        client_id: str = "canhgac-collector",
        producer_factory: Callable[..., Any] = KafkaProducer,
    ) -> None:
        self._topic = config.topic
        self._dead_letter_topic = config.dead_letter_topic
        self._max_in_flight = max_in_flight_batches
        options = client_options(config)
        with _kafka_errors("starting the producer"):
            self._producer = producer_factory(
                **options,
                client_id=client_id,
                acks="all",
                enable_idempotence=True,
                # lz4 is faster but needs the lz4 package; gzip (zlib) is always there.
                compression_type="lz4" if has_lz4() else "gzip",
                linger_ms=linger_ms,
                batch_size=256 * 1024,
            )
        self._state = threading.Condition()
        self._in_flight: deque[_InFlight] = deque()
        self._unsettled = 0  # sent batches whose ack has not run yet
        self._error: str | None = None
        self._closed = False
        # Acks run here, in order, never on the producer's network thread: a source's ack
        # may take locks that a thread blocked in send() holds.
        self._acks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-acks")

    def send(self, batch: Batch) -> None:
        messages = self._messages(batch)
        flight = _InFlight(batch.ack, len(messages))
        with self._state:
            self._state.wait_for(
                lambda: len(self._in_flight) < self._max_in_flight or self._stopped()
            )
            self._raise_if_stopped()
            self._in_flight.append(flight)
            self._unsettled += 1
        try:
            with _kafka_errors("sending a batch"):
                for topic, key, value in messages:
                    future = self._producer.send(topic, value=value, key=key)
                    future.add_callback(self._delivered, flight)
                    future.add_errback(self._failed)
        except TransportError as exc:
            self._failed(exc)
            raise
        if not messages:
            self._delivered(flight, None)

    def _messages(self, batch: Batch) -> list[tuple[str, bytes | None, bytes]]:
        messages: list[tuple[str, bytes | None, bytes]] = []
        letters: list[DeadLetter] = list(batch.dead_letters)
        for event in batch.events:
            try:
                messages.append((self._topic, event_key(event), encode_event(event)))
            except (TypeError, ValueError) as exc:  # incl. UnicodeEncodeError
                letters.append(unsendable(event, str(exc)))
        messages += [
            (self._dead_letter_topic, dead_letter_key(d), encode_dead_letter(d)) for d in letters
        ]
        return messages

    def _delivered(self, flight: _InFlight, _metadata: Any) -> None:
        with self._state:
            flight.remaining -= 1
            while self._in_flight and self._in_flight[0].remaining <= 0 and not self._error:
                done = self._in_flight.popleft()
                try:
                    self._acks.submit(self._run_ack, done.ack)
                except RuntimeError:  # closed after a close() that timed out: no ack
                    log.warning("a batch was delivered after the sender closed; not acked")
            self._state.notify_all()

    def _failed(self, exc: BaseException) -> None:
        with self._state:
            if self._error is None:
                self._error = (
                    str(exc)
                    if isinstance(exc, TransportError)
                    else str(_translate("delivering a message", exc))
                )
                log.error("Kafka sender stopped acknowledging: %s", self._error)
            self._state.notify_all()

    def _run_ack(self, ack: Callable[[], None]) -> None:
        try:
            ack()
        except Exception:  # a source's checkpoint failing must not stop others
            log.exception("a batch acknowledgement failed; its source will re-read it")
        finally:
            with self._state:
                self._unsettled -= 1
                self._state.notify_all()

    def _stopped(self) -> bool:
        return self._closed or self._error is not None

    def _raise_if_stopped(self) -> None:
        if self._error is not None:
            raise TransportError(f"Kafka sender failed earlier: {self._error}")
        if self._closed:
            raise TransportError("Kafka sender is closed")

    def flush(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with _kafka_errors("flushing"):
            self._producer.flush(timeout=timeout)
        with self._state:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            settled = self._state.wait_for(
                lambda: self._unsettled == 0 or self._error is not None, left
            )
            if self._error is not None:
                raise TransportError(f"Kafka sender failed: {self._error}")
            if not settled:
                raise TransportError(f"{self._unsettled} batches unacknowledged after {timeout}s")

    def close(self, timeout: float = 10.0) -> None:
        """Send what is buffered (up to ``timeout``), run the acks that became due, stop."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._state.notify_all()
        try:
            with _kafka_errors("closing the producer"):
                self._producer.close(timeout=timeout)
        finally:
            self._acks.shutdown(wait=True)


# --- receiver -------------------------------------------------------------------------------
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
        with _kafka_errors("starting the consumer"):
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
        # kafka-python consumers are not thread-safe; acks may come from another thread.
        self._lock = threading.RLock()
        self._committed: dict[TopicPartition, int] = {}

    def receive(self, timeout: float) -> Batch | None:
        with self._lock, _kafka_errors("polling"):
            polled = self._consumer.poll(
                timeout_ms=int(max(timeout, 0.0) * 1000), max_records=self._max_records
            )
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
                raise _translate("committing offsets", exc) from exc
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
        with self._lock, _kafka_errors("closing the consumer"):
            self._consumer.close(autocommit=False)
