"""The producing end: collectors send batches to Kafka and acknowledge them once Kafka has
every message of a batch (delivery contract in :mod:`ingest.transport.kafka`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.codec import has_lz4

from canhgac.config import KafkaTransportConfig
from canhgac.errors import TransportError
from canhgac.models import DeadLetter
from ingest.transport.base import Batch, Sender
from ingest.transport.kafka.client import client_options, kafka_errors, translate
from ingest.transport.kafka.codec import (
    dead_letter_key,
    encode_dead_letter,
    encode_event,
    event_key,
    unsendable,
)

log = logging.getLogger(__name__)


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
        with kafka_errors("starting the producer"):
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
            with kafka_errors("sending a batch"):
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
                    else str(translate("delivering a message", exc))
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
        with kafka_errors("flushing"):
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
            with kafka_errors("closing the producer"):
                self._producer.close(timeout=timeout)
        finally:
            self._acks.shutdown(wait=True)
