"""The scaled store: Elasticsearch 9, same semantics as the SQLite store.

Layout and mappings are in :mod:`.mappings`, document shapes in :mod:`.documents`, queries in
:mod:`.queries`, event searches in :mod:`.events`, the bulk retry/dead-letter policy in
:mod:`.bulk`, exception translation in :mod:`.errors`, the client calls with their retries in
:mod:`.client`; alerts (:mod:`.alerts`) and leases (:mod:`.leases`) are parts this module
delegates to.

Guarantees, matching :class:`~canhgac.store.base.Store`:

- ``write_events`` returns only when every event is durable *and searchable* (bulk with
  ``refresh=true``; ``wait_for`` costs up to a refresh interval, one second, per call, which
  caps one indexer at a batch per second: see bench/bench_kafka_es.py), so detection windows
  that end before the return see it. ``event.ingested`` is a time taken just before the
  request that stored the event (a retry takes a new one), and this writer's mark holds every
  stamp of a write until the write returns (:mod:`.writer_marks`), so
  detection never closes a window over an event not yet searchable.
- ids are deterministic and written with ``op_type=create``; the event's day index comes from
  its own ``@timestamp``, so a re-delivery finds the same index and is a no-op.
- events Elasticsearch cannot accept (a value that does not fit the mapping, ``@timestamp``
  missing, NaN, broken Unicode) become dead letters with the reason; the rest are stored.
- searches and counts that not every shard answered fail with
  :class:`StoreUnavailableError` instead of returning partial results.
- ``complete_window`` writes the run record and the watermark in one bulk request without a
  refresh (both are read by id, which is real-time; ``list_rule_runs`` refreshes first). It is
  called only after the window's alerts are stored, and returns only when both documents
  are; Elasticsearch has no multi-document transaction, so a crash mid-request may leave the
  watermark stored without its run record (a gap in the history, never a missed window) or
  the reverse, which re-runs the window: the same run document, the same alerts, idempotently.
- leases (:mod:`.leases`) remember the version this store last wrote, so a
  tick's leases are taken (create or conditional renewal) and released (conditional delete)
  in one bulk request each when nobody else touched them.
- a detection tick is answered in batches: its searches in ``_msearch`` requests (which the
  node runs concurrently), rule states in one ``_mget``, alerts with their links, notifications
  and watermarks in a few ``_bulk`` requests (see :meth:`ElasticsearchStore.record_alerts`).
- concurrent ``record_alert``/``update_alert`` calls use optimistic concurrency
  (``if_seq_no``/``if_primary_term``) and retry on conflict, so no merge is lost.

Production notes (retention, shards, security) are in ``deploy/elasticsearch.md``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from elasticsearch import Elasticsearch

from canhgac.config import ElasticsearchStoreConfig
from canhgac.dead_letters import DeadLetterPage, DeadLetterQuery
from canhgac.errors import ConfigError, StoreError, StoreUnavailableError
from canhgac.models import (
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
from canhgac.store.base import (
    AlertWrite,
    Dialect,
    EventPage,
    EventSearch,
    IngestStamps,
    RelatedQuery,
    Store,
    stamps_of_newest,
)
from canhgac.store.elasticsearch.alert_stats import ElasticsearchAlertStats
from canhgac.store.elasticsearch.alerts import ElasticsearchAlerts
from canhgac.store.elasticsearch.bulk import DEFAULT_BACKOFF, Backoff
from canhgac.store.elasticsearch.client import ElasticsearchCalls, Refresh, client_from_config
from canhgac.store.elasticsearch.dead_letters import ElasticsearchDeadLetters
from canhgac.store.elasticsearch.dialect import ELASTICSEARCH
from canhgac.store.elasticsearch.documents import (
    PreparedEvent,
    dead_letter_doc,
    dead_letter_from_doc,
    doc_id,
    event_dead_letter,
    hit_event,
    prepare_event,
)
from canhgac.store.elasticsearch.errors import translated
from canhgac.store.elasticsearch.events import (
    MSEARCH_MAX,
    event_page,
    event_search,
    msearch,
    related_query,
    stamp_of,
    stamps_search,
)
from canhgac.store.elasticsearch.health import ElasticsearchHealth
from canhgac.store.elasticsearch.incidents import ElasticsearchIncidents
from canhgac.store.elasticsearch.leases import ElasticsearchLeases
from canhgac.store.elasticsearch.mappings import IndexNames
from canhgac.store.elasticsearch.notifications import ElasticsearchNotifications
from canhgac.store.elasticsearch.queries import MAX_WINDOW
from canhgac.store.elasticsearch.rule_state import ElasticsearchRuleState
from canhgac.store.elasticsearch.rule_switches import ElasticsearchRuleSwitches
from canhgac.store.elasticsearch.setup import install_templates
from canhgac.store.elasticsearch.writer_marks import WriterMarks
from canhgac.timeutil import now_iso

_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,100}$")
_CONFLICT_RETRIES = 20


class ElasticsearchStore(Store):
    """Events in daily indices, everything else in one index per kind (see module doc)."""

    query_language: ClassVar[str] = "elasticsearch"
    dialect: ClassVar[Dialect] = ELASTICSEARCH

    def __init__(
        self,
        config: ElasticsearchStoreConfig,
        *,
        client: Elasticsearch | None = None,
        refresh: Refresh = "true",
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        now: Callable[[], str] = now_iso,
    ) -> None:
        if not _PREFIX.match(config.index_prefix):
            raise ConfigError(
                f"store.index_prefix {config.index_prefix!r}: use lowercase letters, digits,"
                " '-', '_' or '.', starting with a letter or digit"
            )
        self.names = IndexNames(config.index_prefix)
        self._client = client or client_from_config(config)
        self._es = ElasticsearchCalls(self._client, backoff=backoff, sleep=sleep)
        self._refresh: Refresh = refresh
        self._backoff = backoff
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_ingested = ""
        self._now = now  # the clock event.ingested is read from (a seam for tests)
        self._alerts = ElasticsearchAlerts(self._es, self.names)
        self._marks = WriterMarks(self._es, self.names.writer_marks, self._ingested_now)
        self._leases = ElasticsearchLeases(self._es, self.names.leases, clock)
        self._notifications = ElasticsearchNotifications(self._es, self.names.notifications)
        self._rule_state = ElasticsearchRuleState(self._es, self.names)
        self._rule_switches = ElasticsearchRuleSwitches(self._es, self.names.rule_switches)
        self._health = ElasticsearchHealth(self._es, self.names)
        self._incidents = ElasticsearchIncidents(self._es, self.names)
        try:
            install_templates(self._client, self.names)
        except BaseException:
            if client is None:
                self._client.close()
            raise

    def health(self) -> ElasticsearchHealth:
        return self._health

    def alert_stats(self) -> ElasticsearchAlertStats:
        return ElasticsearchAlertStats(self._es, self.names)

    def incidents(self) -> ElasticsearchIncidents:
        return self._incidents

    def close(self) -> None:
        try:
            self._marks.close()
        finally:
            self._client.close()

    def delete_indices(self) -> None:
        """Delete every index and template of this prefix: for tests and demo resets.
        Names are listed first because clusters (rightly) refuse wildcard deletes."""
        with translated("deleting indices"):
            found = self._client.indices.get(
                index=",".join([self.names.events_pattern, *self.names.fixed()]),
                expand_wildcards="all",
                ignore_unavailable=True,
            )
            if found.body:
                self._client.indices.delete(index=",".join(found.body))
            self._client.options(ignore_status=404).indices.delete_index_template(
                name=",".join(self.names.templates())
            )
            self._client.options(ignore_status=404).cluster.delete_component_template(
                name=self.names.events_component
            )

    # --- events ------------------------------------------------------------------------------
    def _ingested_now(self) -> str:
        # Never go backwards, even if the wall clock does: windows are ranges over this field.
        with self._lock:
            self._last_ingested = max(self._now(), self._last_ingested)
            return self._last_ingested

    def write_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        prepared: list[PreparedEvent] = []
        rejected: list[tuple[Event, str, str]] = []
        for event in events:
            item = prepare_event(event, self.names)
            if isinstance(item, str):
                rejected.append((event, "", item))
            else:
                prepared.append(item)
        with self._stamps() as take:
            stamp = {"at": take()}

            def render(key: int) -> tuple[str, str]:
                return prepared[key].action, prepared[key].source(stamp["at"])

            def send(lines: list[str]) -> Mapping[str, Any]:
                # Lines are rendered before a request is sent: this stamp is for the next
                # request (a retry or the next chunk), so the time it goes out at or earlier.
                stamp["at"] = take()
                return self._es.bulk(lines, self._refresh)

            result = self._es.bulk_create(range(len(prepared)), render, send)
        rejected += [(prepared[k].event, prepared[k].index, r) for k, r in result.rejected.items()]
        if rejected:
            self.write_dead_letters([event_dead_letter(e, i, r) for e, i, r in rejected])
        return len(result.created)

    @contextmanager
    def _stamps(self) -> Iterator[Callable[[], str]]:
        """``event.ingested`` stamps for one write, held in this writer's mark (see
        :mod:`.writer_marks`) unless writes are not searchable on return."""
        if self._refresh == "false":
            yield self._ingested_now
        else:
            with self._marks.writing() as take:
                yield take

    def search_events(
        self,
        query: Any,
        start: str,
        end: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EventPage:
        search = EventSearch(query, start, end, after, limit)
        body = event_search(search)
        return event_page(self._es.search(self.names.events_pattern, **body), body["size"])

    def ingest_stamps(self, start: str, end: str, limit: int) -> IngestStamps:
        """Only the three fields of each hit's ``_source``, newest first: a sample of whole
        documents made the overview take over a second."""
        hits = self._es.search(self.names.events_pattern, **stamps_search(start, end, limit + 1))
        found = [stamp_of(hit["_source"]) for hit in hits]
        return stamps_of_newest(found[:limit], limit, complete=len(found) <= limit)

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        """``_msearch`` requests of at most :data:`MSEARCH_MAX` searches, which the node runs
        concurrently. A search failing for a transient reason (busy node, a shard not
        answering) is sent again with backoff; one the node rejects is answered with its
        error; an unreachable node raises."""
        pages: dict[int, EventPage | StoreError] = {}
        pending = list(range(len(searches)))
        delays = self._backoff.delays()
        while pending:
            retry: list[int] = []
            for start in range(0, len(pending), MSEARCH_MAX):
                chunk = pending[start : start + MSEARCH_MAX]
                batch = [searches[k] for k in chunk]
                try:
                    answers = msearch(self._es, self.names.events_pattern, batch)
                except StoreUnavailableError:
                    raise
                except StoreError:
                    # A query the node cannot even parse fails the whole request: search one
                    # by one, so that query alone gets the error.
                    answers = super().search_events_batch(batch)
                for key, outcome in zip(chunk, answers, strict=True):
                    pages[key] = outcome
                    if isinstance(outcome, StoreUnavailableError):
                        retry.append(key)
            pending = retry
            if pending:
                delay = next(delays, None)
                if delay is None:
                    break  # the last transient errors stay as those searches' answers
                self._sleep(delay)
        return [pages[k] for k in range(len(searches))]

    def related_events(
        self, related: RelatedQuery, ingested_start: str, ingested_end: str, limit: int
    ) -> list[Event]:
        query = related_query(related)
        return self.search_events(query, ingested_start, ingested_end, limit=limit).events

    def settled_before(self) -> str | None:
        return self._marks.settled_before()

    def get_events(self, ids: Sequence[str]) -> list[Event]:
        found: dict[str, Event] = {}
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), 1000):
            chunk = [doc_id(i) for i in wanted[start : start + 1000]]
            hits = self._es.search(
                self.names.events_pattern, query={"ids": {"values": chunk}}, size=len(chunk)
            )
            found.update((event.id, event) for event in map(hit_event, hits))
        return [found[i] for i in ids if i in found]

    def count_events(self) -> int:
        return self._es.count(self.names.events_pattern)

    # --- dead letters --------------------------------------------------------------------------
    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        index = self.names.dead_letters
        docs = [(doc_id(d.id), dead_letter_doc(d)) for d in letters]
        return self._es.create_docs(index, docs, self._refresh)

    def list_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        hits = self._es.search(
            self.names.dead_letters,
            sort=[{"received_at": "desc"}, {"id": "asc"}],
            size=min(limit, MAX_WINDOW),
        )
        return [dead_letter_from_doc(hit["_source"]) for hit in hits]

    def count_dead_letters(self) -> int:
        return self._es.count(self.names.dead_letters)

    def find_dead_letters(self, query: DeadLetterQuery) -> DeadLetterPage:
        return ElasticsearchDeadLetters(self._es, self.names.dead_letters).find(query)

    def replace_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        ElasticsearchDeadLetters(self._es, self.names.dead_letters).replace(letters)

    def delete_dead_letters(self, ids: Sequence[str]) -> int:
        return ElasticsearchDeadLetters(self._es, self.names.dead_letters).delete(ids)

    # --- alerts (see .alerts) ---------------------------------------------------------------------
    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        return self._alerts.record([(alert, event_ids)])[0]

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        return self._alerts.record(alerts)

    def get_alert(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def list_alerts(self, query: AlertFilter) -> list[Alert]:
        return self._alerts.search(query)

    def scan_alerts(self, query: AlertFilter) -> Iterator[Alert]:
        return self._alerts.scan(query)

    def count_alerts(self, query: AlertFilter) -> dict[AlertStatus, int]:
        return self._alerts.count(query)

    def update_alert(self, alert: Alert) -> None:
        self._alerts.update(alert)

    # --- notifications (see .notifications) ---------------------------------------------------
    def enqueue_notifications(self, alert_id: str, channels: Sequence[str]) -> None:
        self._notifications.enqueue([(alert_id, channels)])

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        self._notifications.enqueue(items)

    def pending_notifications(self, limit: int = 100) -> list[Notification]:
        return self._notifications.pending(limit)

    def mark_notification(self, note: Notification) -> None:
        self._notifications.mark(note)

    def list_notifications(self, alert_id: str) -> list[Notification]:
        return self._notifications.of_alert(alert_id)

    # --- rule run-state (see .rule_state) ------------------------------------------------------
    def get_rule_state(self, rule_id: str) -> RuleState | None:
        return self._rule_state.get([rule_id]).get(rule_id)

    def get_rule_states(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        return self._rule_state.get(rule_ids)

    def complete_window(self, state: RuleState, run: RuleRun) -> None:
        self._rule_state.complete([(state, run)])

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        self._rule_state.complete(windows)

    def save_rule_states(self, states: Sequence[RuleState]) -> None:
        self._rule_state.save(states)

    def list_rule_runs(self, rule_id: str | None = None) -> list[RuleRun]:
        return self._rule_state.runs(rule_id)

    def save_rule_switch(self, switch: RuleSwitch) -> None:
        self._rule_switches.save(switch)

    def get_rule_switches(self, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
        return self._rule_switches.get(rule_ids)

    # --- leases (see .leases) ---------------------------------------------------------------------
    def acquire_lease(self, name: str, owner: str, ttl: float) -> bool:
        return name in self._leases.acquire([name], owner, ttl)

    def release_lease(self, name: str, owner: str) -> None:
        self._leases.release([name], owner)

    def acquire_leases(self, names: Sequence[str], owner: str, ttl: float) -> set[str]:
        return self._leases.acquire(names, owner, ttl)

    def release_leases(self, names: Sequence[str], owner: str) -> None:
        self._leases.release(names, owner)
