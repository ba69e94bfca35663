"""The store interface: events, dead letters, alerts, notifications and rule run-state.

The SQLite store (embedded) and the Elasticsearch store (scaled) implement it. Detection hands
the store a query already compiled for that store's :attr:`Store.query_language`, so the store
stays ignorant of Sigma and the detection code stays ignorant of storage layout.

Detection runs the rules due at one scheduling tick together, so the store also takes the
tick's work in batches (``*_batch`` and plural methods). Their defaults here do one item after
another, which is all a local database needs; a networked store overrides them to answer a
batch in one round trip (the Elasticsearch store: ``_msearch``, ``_mget``, ``_bulk``).

The interface comes in roles, one protocol each, and a caller takes the narrowest that does:
the indexer an :class:`EventWriter`, detection a :class:`DetectionStore`, notification
delivery a :class:`NotifyStore`, the web UI a :class:`TriageSiteStore`. :class:`Store` is
all of them at once: what the two stores implement and the composition root builds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from canhgac.dead_letters import DeadLetterPage, DeadLetterQuery
from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.models import (
    DATASET,
    INGESTED,
    TIMESTAMP,
    Alert,
    AlertFilter,
    AlertStatus,
    DeadLetter,
    Event,
    Notification,
    RuleRun,
    RuleState,
    RuleSwitch,
)
from canhgac.store.alert_stats import AlertStats
from canhgac.store.health import HealthStore
from canhgac.store.incidents import IncidentStore


class Dialect(Protocol):
    """What every store's dialect names: the language its queries are written in."""

    @property
    def query_language(self) -> str: ...


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of matching events, oldest first; ``after`` resumes after the last one."""

    events: list[Event]
    after: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class EventSearch:
    """The arguments of one :meth:`Store.search_events` call, for a batch of them."""

    query: Any
    start: str
    end: str
    after: tuple[str, str] | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class RelatedQuery:
    """Events related to an alert: ``@timestamp`` in ``[start, end]`` (inclusive) and any one
    of ``values`` (field -> value, both from log content) equal."""

    start: str
    end: str
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AlertWrite:
    """The outcome of :meth:`Store.record_alert`: the stored alert and whether it is new."""

    alert: Alert
    created: bool


# How many matched event ids an alert document carries; the exact count comes from each
# store's alert -> event link records, which keep all of them.
ALERT_EVENT_IDS_KEPT = 100


def merge_alert(stored: Alert, incoming: Alert, created: bool, count: int) -> Alert:
    """The alert :meth:`Store.record_alert` stores: ``incoming`` merged into ``stored`` (the
    same object when ``created``), with ``count`` distinct matched events."""
    if created:
        return incoming.model_copy(
            update={"count": count, "event_ids": incoming.event_ids[:ALERT_EVENT_IDS_KEPT]}
        )
    kept = list(dict.fromkeys(stored.event_ids + incoming.event_ids))[:ALERT_EVENT_IDS_KEPT]
    return stored.model_copy(
        update={
            "first_seen": min(stored.first_seen, incoming.first_seen),
            "last_seen": max(stored.last_seen, incoming.last_seen),
            "count": count,
            "event_ids": kept,
            "updated_at": incoming.updated_at,
        }
    )


class EventWriter(Protocol):
    """What the ingest path writes: events, and the records it could not turn into events."""

    @abstractmethod
    def write_events(self, events: Sequence[Event]) -> int:
        """Store events idempotently (an id already stored is left alone) and durably.

        Sets ``event.ingested``. Returns how many were new. When this returns, the events are
        durable: a source may advance its checkpoint.
        """

    @abstractmethod
    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        """Store dead letters idempotently; returns how many were new."""


@dataclass(frozen=True, slots=True)
class IngestStamp:
    """When an event happened and was stored, and its dataset."""

    dataset: str
    ingested: str
    timestamp: str | None


@dataclass(frozen=True, slots=True)
class IngestStamps:
    """The newest events' stamps, oldest first; ``since``: the ingestion time of the oldest
    when the sample was capped (rates are over ``[since, end)``), None when it holds every
    event of the range."""

    stamps: list[IngestStamp]
    since: str | None


def stamps_of_newest(
    newest_first: list[IngestStamp], limit: int, *, complete: bool
) -> IngestStamps:
    """Stamps read newest first (at most ``limit``) as a sample; ``complete``: the range held
    no more."""
    stamps = newest_first[::-1]
    capped = bool(stamps) and not complete and len(stamps) >= limit
    return IngestStamps(stamps, stamps[0].ingested if capped else None)


class EventReader(Protocol):
    """Events as detection and triage read them, by a query in the store's own language."""

    #: The language detection must compile rules into: ``"sqlite"`` or ``"elasticsearch"``.
    query_language: ClassVar[str]
    #: What a rule compiler for that language may know of the store's layout.
    dialect: ClassVar[Dialect]

    @abstractmethod
    def search_events(
        self,
        query: Any,
        start: str,
        end: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EventPage:
        """Events matching a compiled ``query`` ingested in ``[start, end)``.

        ``query`` None matches every event. Results are ordered by (``event.ingested``, id)
        so paging with ``after`` never skips or repeats an event.
        """

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        """One page per search, in order. A search that fails on its own (a query the store
        rejects) is answered with its error and the others still run; a failure of the
        store as a whole raises."""
        pages: list[EventPage | StoreError] = []
        for search in searches:
            try:
                pages.append(
                    self.search_events(
                        search.query,
                        search.start,
                        search.end,
                        after=search.after,
                        limit=search.limit,
                    )
                )
            except StoreUnavailableError:
                raise
            except StoreError as exc:
                pages.append(exc)
        return pages

    def settled_before(self) -> str | None:
        """A time before which every event's ``event.ingested`` that will ever be stored is
        already searchable, as the store's writers report it (see
        :mod:`canhgac.store.elasticsearch.writer_marks` and
        :mod:`canhgac.store.sqlite.ingest_clock`); None when unknown, and detection then ends
        its windows ``detection.ingest_delay`` before now."""
        return None

    @abstractmethod
    def get_events(self, ids: Sequence[str]) -> list[Event]:
        """Events by id, in the order given; unknown ids are left out."""

    @abstractmethod
    def related_events(
        self, related: RelatedQuery, ingested_start: str, ingested_end: str, limit: int
    ) -> list[Event]:
        """At most ``limit`` events matching ``related`` among those ingested in
        ``[ingested_start, ingested_end)``, oldest ingested first. Its values are never
        turned into query syntax, whatever they hold."""

    def ingest_stamps(self, start: str, end: str, limit: int) -> IngestStamps:
        """Dataset, ingestion and event time of the newest ``limit`` events ingested in
        ``[start, end)``, oldest first (the overview's intake rates). A store overrides it
        to read only these three fields, newest first; this pages through whole events."""
        events: list[Event] = []
        seen = 0
        after: tuple[str, str] | None = None
        while True:
            page = self.search_events(None, start, end, after=after, limit=1000)
            seen += len(page.events)
            events = (events + page.events)[-limit:]
            if page.after is None:
                break
            after = page.after
        return stamps_of_newest(
            [
                IngestStamp(
                    str(e.fields.get(DATASET) or "?"),
                    str(e.fields.get(INGESTED, "")),
                    _text_or_none(e.fields.get(TIMESTAMP)),
                )
                for e in reversed(events)
            ],
            limit,
            complete=seen <= limit,
        )


def _text_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


class AlertStore(Protocol):
    """Alerts: recorded by detection, read and triaged by people."""

    @abstractmethod
    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        """Create the alert, or add matches to the stored one with the same id.

        ``count`` is the number of distinct matched events, so recording the same matches
        twice (a re-run after a crash) changes nothing. A new alert also gets a pending
        notification row per channel via :meth:`enqueue_notifications`.
        """

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        """:meth:`record_alert` for each (alert, matched event ids), in order."""
        return [self.record_alert(alert, event_ids) for alert, event_ids in alerts]

    @abstractmethod
    def get_alert(self, alert_id: str) -> Alert | None: ...

    @abstractmethod
    def list_alerts(self, query: AlertFilter) -> list[Alert]:
        """Alerts newest first (by ``last_seen``) matching the filter."""

    @abstractmethod
    def scan_alerts(self, query: AlertFilter) -> Iterator[Alert]:
        """Every alert matching ``query`` (its ``limit``, ``offset`` and ``sort`` ignored),
        oldest first by (``last_seen``, id). Read page by page, each page resuming after the
        previous one's last key (never an offset): each page costs the same, and no alert is
        out of reach however many there are (:meth:`list_alerts` is the queue's pages)."""

    def count_alerts(self, query: AlertFilter) -> dict[AlertStatus, int]:
        """How many alerts match ``query`` per status, ignoring its ``status``, ``limit``,
        ``offset`` and ``sort`` (the queue shows every status's count next to its page).

        This default reads every alert once (:meth:`scan_alerts`); stores override it with a
        real count.
        """
        counts = dict.fromkeys(AlertStatus, 0)
        for alert in self.scan_alerts(query.model_copy(update={"status": None})):
            counts[alert.status] += 1
        return counts

    @abstractmethod
    def update_alert(self, alert: Alert) -> None:
        """Replace the triage fields (status, assignee, close reason) of a stored alert."""


class NotificationOutbox(Protocol):
    """A pending notification per new alert and channel, until it is delivered or given up."""

    @abstractmethod
    def enqueue_notifications(self, alert_id: str, channels: Sequence[str]) -> None: ...

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        """:meth:`enqueue_notifications` for each (alert id, channels)."""
        for alert_id, channels in items:
            self.enqueue_notifications(alert_id, channels)

    @abstractmethod
    def pending_notifications(self, limit: int = 100) -> list[Notification]: ...

    @abstractmethod
    def mark_notification(self, note: Notification) -> None: ...

    @abstractmethod
    def list_notifications(self, alert_id: str) -> list[Notification]:
        """Every delivery of one alert, whatever its status (shown with the alert)."""


class RuleStateStore(Protocol):
    """Each rule's watermark and its window history."""

    @abstractmethod
    def get_rule_state(self, rule_id: str) -> RuleState | None: ...

    def get_rule_states(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        """The stored state of each rule that has one."""
        found = {rule_id: self.get_rule_state(rule_id) for rule_id in rule_ids}
        return {rule_id: state for rule_id, state in found.items() if state is not None}

    @abstractmethod
    def complete_window(self, state: RuleState, run: RuleRun) -> None:
        """Persist the new watermark and the window history together, atomically."""

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        """:meth:`complete_window` for each (state, run); on return all are stored."""
        for state, run in windows:
            self.complete_window(state, run)

    @abstractmethod
    def save_rule_states(self, states: Sequence[RuleState]) -> None:
        """Store rule states as they are, with no run record: a failed run's error, shown to
        ops, next to the watermark it could not move."""

    @abstractmethod
    def list_rule_runs(self, rule_id: str | None = None) -> list[RuleRun]: ...


class RuleSwitchStore(Protocol):
    """Which loaded rules people switched off (or back on), read by detection every tick."""

    @abstractmethod
    def save_rule_switch(self, switch: RuleSwitch) -> None:
        """Store ``switch``, replacing the rule's previous one; read back at once."""

    @abstractmethod
    def get_rule_switches(self, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
        """The stored switch of each of ``rule_ids`` that has one (never switched: absent)."""


class LeaseStore(Protocol):
    """Named leases, so detectors sharing a store share the rules instead of repeating them."""

    @abstractmethod
    def acquire_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Take or renew the lease ``name`` for ``ttl`` seconds; True if ``owner`` holds it.

        Granted when nobody holds it, when its holder's lease expired, when its holder is a
        process of this host that has died (:func:`canhgac.store.lease_holders.holder_is_gone`),
        or when ``owner`` already holds it (renewal). The check and the write are one atomic
        step, so of two owners racing for a free lease exactly one wins.
        """

    @abstractmethod
    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up if ``owner`` still holds it; otherwise do nothing."""

    def acquire_leases(self, names: Sequence[str], owner: str, ttl: float) -> set[str]:
        """:meth:`acquire_lease` for each name; the names ``owner`` now holds."""
        return {name for name in names if self.acquire_lease(name, owner, ttl)}

    def release_leases(self, names: Sequence[str], owner: str) -> None:
        """:meth:`release_lease` for each name."""
        for name in names:
            self.release_lease(name, owner)

    # --- data health (canhgac.store.health) ------------------------------------------------------
    def health(self) -> HealthStore:
        """The store's data-health numbers (:class:`~canhgac.store.health.HealthStore`)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no data-health numbers")


class StoreHealth(Protocol):
    """What ops see of a store (how much it holds, what it refused) and its lifecycle."""

    @abstractmethod
    def count_events(self) -> int: ...

    @abstractmethod
    def list_dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    @abstractmethod
    def count_dead_letters(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...


class DeadLetterStore(Protocol):
    """Dead letters read back by ops (``canhgac deadletters list|replay``)."""

    @abstractmethod
    def find_dead_letters(self, query: DeadLetterQuery) -> DeadLetterPage:
        """One page of the dead letters matching ``query``, oldest first."""

    @abstractmethod
    def replace_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Overwrite stored dead letters (a replay that failed again, with the new reason)."""

    @abstractmethod
    def delete_dead_letters(self, ids: Sequence[str]) -> int:
        """Remove dead letters (a replay stored their events); how many were removed."""


class DetectionStore(
    EventReader, AlertStore, NotificationOutbox, RuleStateStore, RuleSwitchStore, Protocol
):
    """What a detection run needs: events to search, alerts to record (with their
    notifications), the rules' watermarks and which rules are switched off."""


class NotifyStore(AlertStore, NotificationOutbox, Protocol):
    """What notification delivery needs: the outbox and the alerts it is about."""


class TriageSiteStore(
    EventReader,
    AlertStore,
    NotificationOutbox,
    RuleStateStore,
    RuleSwitchStore,
    StoreHealth,
    Protocol,
):
    """What the triage web UI reads and changes: everything but writing events and leases."""


class Store(
    EventWriter,
    EventReader,
    AlertStore,
    NotificationOutbox,
    RuleStateStore,
    RuleSwitchStore,
    LeaseStore,
    StoreHealth,
    DeadLetterStore,
    ABC,
):
    """Where events, dead letters, alerts and detection state live: every role at once, as
    the composition root (the CLI) builds it; each caller takes only the role it uses."""

    def alert_stats(self) -> AlertStats:
        """Aggregations over the alerts (:class:`~canhgac.store.alert_stats.AlertStats`)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no alert statistics")

    def incidents(self) -> IncidentStore:
        """The incidents grouping this store's alerts (:mod:`canhgac.store.incidents`)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no incidents")
