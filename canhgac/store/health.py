"""The data-health interface of a store: hourly numbers per source key, computed where the
events are (tallies SQLite writes with each batch of events, aggregations in Elasticsearch),
kept as a series.

Both stores give the same numbers for the same events (tests/canhgac/store and
tests/integration check it); what is measured is defined once in :mod:`canhgac.health.fields`.
Clock skews are in seconds, of times truncated to milliseconds as Elasticsearch keeps dates.
The median skew is an estimate on large hours in both stores (Elasticsearch: a t-digest,
exact up to a few hundred events; SQLite: a sample by rank, exact while no write holds more
than 32 events of a key), and so is Elasticsearch's count of distinct sequence numbers
(exact below 40,000 per key and hour).

A store hands its implementation out through :meth:`canhgac.store.base.Store.health`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from canhgac.health.model import DeadLetterSample, EventSample, HealthBucket, SourceKey


class HealthStore(ABC):
    """Health numbers of one store."""

    @abstractmethod
    def compute(self, start: str, end: str, *, computed_at: str) -> list[HealthBucket]:
        """The numbers of every source key over the events and dead letters that arrived in
        ``[start, end)`` (``event.ingested``, dead letters' ``received_at``), as buckets of
        hour ``start``. Reads only; :meth:`save_hour` stores them."""

    @abstractmethod
    def save_hour(self, hour: str, buckets: Sequence[HealthBucket]) -> None:
        """Store the buckets of ``hour``, replacing every bucket stored for it before (so
        recomputing an hour is idempotent, and a key gone from it is gone)."""

    @abstractmethod
    def buckets(self, since: str, until: str, key: SourceKey | None = None) -> list[HealthBucket]:
        """Stored buckets of the hours in ``[since, until)``, of one key or all, ordered by
        hour then key."""

    @abstractmethod
    def computed_hours(self, since: str, until: str) -> dict[str, str]:
        """Hour -> when it was computed (the latest ``computed_at`` of its buckets), for the
        stored hours in ``[since, until)``; an hour with no source at all is stored as a
        bucket of the empty key, so it is listed too."""

    @abstractmethod
    def last_seen(self, since: str) -> dict[SourceKey, str]:
        """Per source key, the ``event.ingested`` of its last event ingested at or after
        ``since`` (keys with no such event are left out)."""

    @abstractmethod
    def dead_letter_samples(
        self, source: str, since: str, until: str, *, reasons: int = 10, per_reason: int = 3
    ) -> list[DeadLetterSample]:
        """The commonest reason classes of ``source``'s dead letters received in
        ``[since, until)``, most frequent first, each with up to ``per_reason`` raw lines
        (decoded with replacement, at most 2,000 characters each)."""

    @abstractmethod
    def not_understood_samples(
        self, key: SourceKey, since: str, until: str, *, limit: int = 10
    ) -> list[EventSample]:
        """The latest events of ``key`` ingested in ``[since, until)`` that were stored but
        not understood (raw, or without their dataset's key fields)."""

    @abstractmethod
    def prune(self, before: str) -> int:
        """Delete buckets of hours before ``before``; returns how many went."""

    @abstractmethod
    def probe_write(self) -> None:
        """Write and commit a tiny record, so a health check knows the store can write;
        raises :class:`~canhgac.errors.StoreError` when it cannot."""
