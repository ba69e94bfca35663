"""The scaled store: Elasticsearch 9, same semantics as the SQLite store.

Layout and mappings are in :mod:`canhgac.store.es_mappings`, document shapes in
:mod:`canhgac.store.es_documents`, queries in :mod:`canhgac.store.es_queries`, the bulk
retry/dead-letter policy in :mod:`canhgac.store.es_bulk`, exception translation in
:mod:`canhgac.store.es_errors`, the client calls with their retries in
:mod:`canhgac.store.es_client`; alerts (:mod:`canhgac.store.es_alerts`) and leases
(:mod:`canhgac.store.es_leases`) are parts this module delegates to.

Guarantees, matching :class:`~canhgac.store.base.Store`:

- ``write_events`` returns only when every event is durable *and searchable* (bulk with
  ``refresh=true``; ``wait_for`` costs up to a refresh interval, one second, per call, which
  caps one indexer at a batch per second: see bench/bench_kafka_es.py), so detection windows
  that end before the return see it. ``event.ingested`` is a time taken just before the
  request that stored the event (a retry takes a new one), and this writer's mark holds every
  stamp of a write until the write returns (:mod:`canhgac.store.es_writer_marks`), so
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
- leases (:mod:`canhgac.store.es_leases`) remember the version this store last wrote, so a
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
from canhgac.errors import ConfigError, StoreError, StoreUnavailableError
from canhgac.models import (
    INGESTED,
    Alert,
    AlertFilter,
    AlertStatus,
    DeadLetter,
    Event,
    Notification,
    RuleRun,
    RuleState,
)
from canhgac.store.base import AlertWrite, EventPage, EventSearch, Store
from canhgac.store.es_alerts import ElasticsearchAlerts
from canhgac.store.es_bulk import DEFAULT_BACKOFF, Backoff, describe
from canhgac.store.es_client import ElasticsearchCalls, Refresh, client_from_config
from canhgac.store.es_documents import (
    PreparedEvent,
    dead_letter_doc,
    dead_letter_from_doc,
    doc_id,
    event_dead_letter,
    hit_event,
    prepare_event,
)
from canhgac.store.es_errors import is_retryable, translated
from canhgac.store.es_health import ElasticsearchHealth
from canhgac.store.es_leases import ElasticsearchLeases
from canhgac.store.es_mappings import (
    EVENT_ID_FIELD,
    IndexNames,
    events_component,
    events_template,
    fixed_template,
)
from canhgac.store.es_queries import (
    MAX_WINDOW,
    ingested_nanos,
    ingested_range,
    user_query,
)
from canhgac.store.es_writer_marks import WriterMarks
from canhgac.timeutil import now_iso

_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,100}$")
_CONFLICT_RETRIES = 20
# Searches per _msearch request: one tick's rules usually fit in one.
MSEARCH_MAX = 200


class ElasticsearchStore(Store):
    """Events in daily indices, everything else in one index per kind (see module doc)."""

    query_language: ClassVar[str] = "elasticsearch"

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
        self._health = ElasticsearchHealth(self._es, self.names)
        try:
            self._setup()
        except BaseException:
            if client is None:
                self._client.close()
            raise

    def _setup(self) -> None:
        with translated("creating index templates"):
            self._client.cluster.put_component_template(
                name=self.names.events_component, **events_component()
            )
            self._client.indices.put_index_template(
                name=self.names.events_template, **events_template(self.names)
            )
            for index, body in self.names.fixed().items():
                self._client.indices.put_index_template(name=index, **fixed_template(index, body))

    def health(self) -> ElasticsearchHealth:
        return self._health

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
        :mod:`canhgac.store.es_writer_marks`) unless writes are not searchable on return."""
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
        body = _event_search(search)
        return _event_page(self._es.search(self.names.events_pattern, **body), body["size"])

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
                try:
                    answers = self._msearch([searches[k] for k in chunk])
                except StoreUnavailableError:
                    raise
                except StoreError:
                    # A query the node cannot even parse fails the whole request: search one
                    # by one, so that query alone gets the error.
                    answers = super().search_events_batch([searches[k] for k in chunk])
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

    def _msearch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        header = {
            "index": self.names.events_pattern,
            "ignore_unavailable": True,
            "allow_no_indices": True,
            "allow_partial_search_results": False,
        }
        bodies = [_event_search(search) for search in searches]
        lines: list[Mapping[str, Any]] = []
        for body in bodies:
            lines += [header, {**body, "track_total_hits": False}]
        response = self._es.call(
            f"search in {self.names.events_pattern}",
            lambda: self._client.msearch(searches=lines),
        )
        answers: list[Mapping[str, Any]] = response.body["responses"]
        if len(answers) != len(bodies):
            raise StoreError(f"_msearch answered {len(answers)} of {len(bodies)} searches")
        return [
            _msearch_page(answer, body["size"])
            for answer, body in zip(answers, bodies, strict=True)
        ]

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

    # --- alerts (see canhgac.store.es_alerts) ---------------------------------------------------
    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        return self._alerts.record([(alert, event_ids)])[0]

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        return self._alerts.record(alerts)

    def get_alert(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def list_alerts(self, query: AlertFilter) -> list[Alert]:
        return self._alerts.search(query)

    def count_alerts(self, query: AlertFilter) -> dict[AlertStatus, int]:
        return self._alerts.count(query)

    def update_alert(self, alert: Alert) -> None:
        self._alerts.update(alert)

    # --- notifications -----------------------------------------------------------------------
    def enqueue_notifications(self, alert_id: str, channels: Sequence[str]) -> None:
        self.enqueue_notifications_batch([(alert_id, channels)])

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        now = now_iso()
        docs = [
            (
                doc_id(alert_id, channel),
                Notification(alert_id=alert_id, channel=channel, updated_at=now).model_dump(
                    mode="json"
                ),
            )
            for alert_id, channels in items
            for channel in dict.fromkeys(channels)
        ]
        self._es.create_docs(self.names.notifications, docs, "true")

    def pending_notifications(self, limit: int = 100) -> list[Notification]:
        return self._notifications({"term": {"status": "pending"}}, "updated_at", limit)

    def mark_notification(self, note: Notification) -> None:
        self._es.call(
            "updating a notification",
            lambda: self._client.options(ignore_status=404).update(
                index=self.names.notifications,
                id=doc_id(note.alert_id, note.channel),
                doc=note.model_dump(mode="json"),
                refresh="true",
            ),
        )

    def list_notifications(self, alert_id: str) -> list[Notification]:
        return self._notifications({"term": {"alert_id": alert_id}}, "channel", MAX_WINDOW)

    def _notifications(self, query: dict[str, Any], order: str, limit: int) -> list[Notification]:
        hits = self._es.search(
            self.names.notifications,
            query=query,
            sort=[{order: "asc"}, {"alert_id": "asc"}, {"channel": "asc"}],
            size=min(limit, MAX_WINDOW),
        )
        return [Notification.model_validate(hit["_source"]) for hit in hits]

    # --- rule run-state ------------------------------------------------------------------------
    def get_rule_state(self, rule_id: str) -> RuleState | None:
        return self.get_rule_states([rule_id]).get(rule_id)

    def get_rule_states(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        if not rule_ids:
            return {}
        index = self.names.rule_state
        response = self._es.call(
            f"get from {index}",
            lambda: self._client.mget(index=index, ids=[doc_id(r) for r in rule_ids]),
        )
        states = [
            RuleState.model_validate(doc["_source"])
            for doc in response.body["docs"]
            if doc.get("found")
        ]
        return {state.rule_id: state for state in states}

    def complete_window(self, state: RuleState, run: RuleRun) -> None:
        self.complete_windows([(state, run)])

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        # One bulk request, not refreshed: the state is only ever read by id (real-time) and
        # list_rule_runs refreshes the run index itself. A failing item is retried alone and
        # a rejected one fails the call, so on return every document is stored.
        docs: list[tuple[str, str, Mapping[str, Any]]] = []
        for state, run in windows:
            key = doc_id(run.rule_id, run.window_start)
            docs.append((self.names.rule_runs, key, run.model_dump(mode="json")))
            docs.append(
                (self.names.rule_state, doc_id(state.rule_id), state.model_dump(mode="json"))
            )
        self._es.index_docs(docs)

    def save_rule_states(self, states: Sequence[RuleState]) -> None:
        index = self.names.rule_state
        self._es.index_docs([(index, doc_id(s.rule_id), s.model_dump(mode="json")) for s in states])

    def list_rule_runs(self, rule_id: str | None = None) -> list[RuleRun]:
        # Runs are written without a refresh (complete_window), so make them searchable here,
        # where (rarely) they are listed, instead of once per detection window.
        self._es.call(
            f"refreshing {self.names.rule_runs}",
            lambda: self._client.indices.refresh(
                index=self.names.rule_runs, ignore_unavailable=True, allow_no_indices=True
            ),
        )
        query = {"term": {"rule_id": rule_id}} if rule_id is not None else {"match_all": {}}
        sort = [{"rule_id": "asc"}, {"window_start": "asc"}]
        return [
            RuleRun.model_validate(hit["_source"])
            for hit in self._es.scan(self.names.rule_runs, query, sort)
        ]

    # --- leases (see canhgac.store.es_leases) ---------------------------------------------------
    def acquire_lease(self, name: str, owner: str, ttl: float) -> bool:
        return name in self._leases.acquire([name], owner, ttl)

    def release_lease(self, name: str, owner: str) -> None:
        self._leases.release([name], owner)

    def acquire_leases(self, names: Sequence[str], owner: str, ttl: float) -> set[str]:
        return self._leases.acquire(names, owner, ttl)

    def release_leases(self, names: Sequence[str], owner: str) -> None:
        self._leases.release(names, owner)


def _event_search(search: EventSearch) -> dict[str, Any]:
    """The search body of one page of a rule's window, oldest first."""
    clauses: list[dict[str, Any]] = [
        {"range": {INGESTED: ingested_range(search.start, search.end)}}
    ]
    compiled = user_query(search.query)
    body: dict[str, Any] = {
        "query": {"bool": {"filter": clauses, "must": [compiled] if compiled else []}},
        "sort": [{INGESTED: "asc"}, {EVENT_ID_FIELD: "asc"}],
        "size": min(search.limit, MAX_WINDOW),
    }
    if search.after is not None:
        body["search_after"] = [ingested_nanos(search.after[0]), search.after[1]]
    return body


def _event_page(hits: Sequence[Mapping[str, Any]], size: int) -> EventPage:
    events = [hit_event(hit) for hit in hits]
    last = (events[-1].fields[INGESTED], events[-1].id) if len(events) == size else None
    return EventPage(events, last)


def _msearch_page(answer: Mapping[str, Any], size: int) -> EventPage | StoreError:
    """One ``_msearch`` answer as a page, or as the error the search alone met."""
    status = int(answer.get("status", 200))
    if "error" in answer:
        reason = f"Elasticsearch search failed ({status}): {describe(answer['error'])}"
        if is_retryable(status):
            return StoreUnavailableError(reason)
        return StoreError(reason)
    shards = answer.get("_shards", {})
    if shards.get("failed") or shards.get("successful", 0) < shards.get("total", 0):
        return StoreUnavailableError(f"Elasticsearch search: not all shards answered: {shards}")
    return _event_page(answer["hits"]["hits"], size)
