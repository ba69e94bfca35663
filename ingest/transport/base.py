"""The transport interface between collectors (senders) and indexers (receivers).

A batch carries an ``ack`` callback that runs once every item in it is durably stored — by
the store for the in-process transport, by Kafka for the Kafka producer. Sources advance
their checkpoints only from that callback (Vector's end-to-end acknowledgement contract).

Receivers call ``ack`` from their own thread, once per batch, in the order the batches of one
sender were received; a batch that is never acknowledged is replayed by its source if it can
be (files), and is otherwise at the mercy of the sender's retry (HTTP clients).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from canhgac.models import DeadLetter, Event


def _noop() -> None:
    return None


@dataclass(slots=True)
class Batch:
    """Events and dead letters from one source, acknowledged together."""

    events: list[Event] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    ack: Callable[[], None] = _noop

    def __len__(self) -> int:
        return len(self.events) + len(self.dead_letters)


class Sender(ABC):
    """The collector's end."""

    @abstractmethod
    def send(self, batch: Batch) -> None:
        """Hand a batch over; blocks while the transport is full (backpressure)."""

    def flush(self, timeout: float | None = None) -> None:  # noqa: B027 - optional hook
        """Wait until every sent batch is acknowledged by the next stage."""

    def release_held(self) -> None:  # noqa: B027 - optional hook
        """Send on what this stage holds back (a source is stopping; see
        :mod:`ingest.sources.audit_joining`)."""

    @abstractmethod
    def close(self) -> None: ...


class Receiver(ABC):
    """The indexer's end."""

    @abstractmethod
    def receive(self, timeout: float) -> Batch | None:
        """The next batch, or None if none arrived within ``timeout`` seconds."""

    @abstractmethod
    def close(self) -> None: ...
