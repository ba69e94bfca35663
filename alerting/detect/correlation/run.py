"""Run a correlation for one scheduling window against any store.

The store only ever answers what it answers for every rule: the events each base rule's
compiled query matches, ingested in a range. Everything else (windows, groups, conditions,
bursts) happens in :mod:`alerting.detect.correlation.eval`, so SQLite and Elasticsearch give
the same alerts by construction.

For a window ``[start, end)`` of ``event.ingested`` the base events are fetched from
``start - lookback`` (the sum of the timespans down the correlation chain), so every window
ending at a new event sees the whole ``timespan`` before it. An alert's id is the rule, the
group and the first event of its burst; a burst that continues one already stored (the stored
alert ends after the burst's first window starts) adds to that alert instead. Re-running a
window, or overlapping look-backs, therefore never duplicates an alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from alerting.alerts import SNAPSHOT_TEXT_LIMIT, AlertDraft, AlertRule, alert_id, snapshot
from alerting.detect.correlation.eval import (
    Burst,
    CorrelationSpec,
    GroupKey,
    Occurrence,
    Source,
    bursts,
    evaluate,
    event_source,
    events_of,
)
from alerting.detect.correlation.metrics import distinct_value
from alerting.detect.correlation.reads import SharedReads
from canhgac.models import INGESTED, Alert, AlertFilter, Event
from canhgac.store.base import DetectionStore, merge_alert
from canhgac.text import dumps
from canhgac.timeutil import from_iso, to_iso

# Events whose fields an alert snapshot is taken from (the first ones of the burst).
SNAPSHOT_EVENTS = 100
# Stored alerts of one rule looked at when deciding whether a burst continues one.
KNOWN_ALERTS_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class BaseInput:
    """A detection rule feeding a correlation, as its compiled store query."""

    rule_id: str
    query: Any

    @property
    def fetch_key(self) -> str:
        # An exception naming the correlation gives its base rule a query of its own.
        return f"{self.rule_id}\x1f{self.query!r}"


@dataclass(frozen=True, slots=True)
class CorrelationNode:
    """A correlation and, per rule slot, what feeds it."""

    spec: CorrelationSpec
    inputs: tuple[BaseInput | CorrelationNode, ...]

    @property
    def lookback(self) -> timedelta:
        """How far before a window's start its inputs may lie."""
        children = [i.lookback for i in self.inputs if isinstance(i, CorrelationNode)]
        return self.spec.span + max(children, default=timedelta(0))

    def base_inputs(self) -> dict[str, BaseInput]:
        found: dict[str, BaseInput] = {}
        for item in self.inputs:
            if isinstance(item, BaseInput):
                found.setdefault(item.fetch_key, item)
            else:
                for key, base in item.base_inputs().items():
                    found.setdefault(key, base)
        return found


class KnownAlerts(Protocol):
    """The alerts a burst may continue (production: the store's)."""

    def since(self, rule_id: str, moment: str) -> list[Alert]: ...


@dataclass(frozen=True, slots=True)
class StoredAlerts:
    store: DetectionStore

    def since(self, rule_id: str, moment: str) -> list[Alert]:
        query = AlertFilter(rule_id=rule_id, since=moment, limit=KNOWN_ALERTS_LIMIT)
        return self.store.list_alerts(query)


@dataclass(slots=True)
class DraftedAlerts:
    """Alerts drafted but not stored (a backtest), merged as the store would merge them;
    later windows continue them."""

    drafts: dict[str, AlertDraft] = field(default_factory=dict)

    def since(self, rule_id: str, moment: str) -> list[Alert]:
        return [
            draft.alert
            for draft in self.drafts.values()
            if draft.alert.rule_id == rule_id and draft.alert.last_seen >= moment
        ]

    def add(self, drafts: Sequence[AlertDraft]) -> None:
        for draft in drafts:
            old = self.drafts.get(draft.alert.id)
            if old is not None:
                ids = list(dict.fromkeys(old.event_ids + draft.event_ids))
                alert = merge_alert(old.alert, draft.alert, False, len(ids))
                draft = AlertDraft(alert, ids)
            self.drafts[draft.alert.id] = draft


@dataclass(frozen=True, slots=True)
class WindowOutcome:
    matches: int
    drafts: list[AlertDraft]


@dataclass(frozen=True, slots=True)
class CorrelationQuery:
    """What a correlation's :class:`~alerting.detect.compile.rules.CompiledRule` runs."""

    root: CorrelationNode
    alert_rule: AlertRule
    # ECS fields worth a place in the alert snapshot (the group-by fields of a base rule).
    snapshot_fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join(describe(self.root))

    def evaluate_window(
        self,
        store: DetectionStore,
        start: str,
        end: str,
        *,
        page_size: int,
        now: str,
        known: KnownAlerts | None = None,
        reads: SharedReads | None = None,
    ) -> tuple[int, list[AlertDraft]]:
        outcome = self.run(
            store, start, end, page_size=page_size, now=now, known=known, reads=reads
        )
        return outcome.matches, outcome.drafts

    def expect_reads(self, reads: SharedReads, start: str, end: str) -> None:
        """Tell a round's shared reads what :meth:`run` over ``[start, end)`` will read."""
        fetch_from = self._fetch_from(start)
        for key in self.root.base_inputs():
            reads.expect(key, fetch_from, end)

    def _fetch_from(self, start: str) -> str:
        return to_iso(from_iso(start) - self.root.lookback)

    def run(
        self,
        store: DetectionStore,
        start: str,
        end: str,
        *,
        page_size: int,
        now: str,
        known: KnownAlerts | None = None,
        reads: SharedReads | None = None,
    ) -> WindowOutcome:
        window_start = from_iso(start)
        fetch_from = self._fetch_from(start)
        reads = reads or SharedReads(store, page_size)
        fetched = {
            key: reads.events(key, base.query, fetch_from, end)
            for key, base in self.root.base_inputs().items()
        }
        new_events = {
            e.id for events in fetched.values() for e in events if _is_new(e, window_start)
        }
        occurrences = _evaluate(self.root, fetched, new_events, {}, only_new=True)
        found = bursts(occurrences)
        if not found:
            return WindowOutcome(len(new_events), [])
        earliest = to_iso(min(burst.first.start for burst in found))
        previous = _by_group(
            (known or StoredAlerts(store)).since(self.alert_rule.id, earliest),
            self.root.spec.group_by,
        )
        drafts = [self._draft(burst, previous, now) for burst in found]
        return WindowOutcome(len(new_events), drafts)

    def _draft(self, burst: Burst, previous: dict[GroupKey, list[Alert]], now: str) -> AlertDraft:
        members = burst.members()
        events = list({e.id: e for item in members for e in events_of(item.origin)}.values())
        rule = self.alert_rule
        shown = {name: _bounded(value) for name, value in burst.first.values.items()}
        group = _stored_key(shown, self.root.spec.group_by)
        continued = [
            alert
            for alert in previous.get(group, [])
            if from_iso(alert.last_seen) >= burst.first.start
        ]
        if continued:
            identity = min(continued, key=lambda a: (a.first_seen, a.id)).id
        else:
            identity = alert_id(rule.id, dumps(list(group)), members[0].key)
        alert = Alert(
            id=identity,
            **rule.alert_fields(),
            group_key=shown,
            first_seen=to_iso(members[0].at),
            last_seen=to_iso(burst.last.end),
            count=len(events),
            event_ids=[e.id for e in events],
            snapshot=snapshot(events[:SNAPSHOT_EVENTS], self.snapshot_fields),
            created_at=now,
            updated_at=now,
        )
        return AlertDraft(alert, [e.id for e in events])


def describe(node: CorrelationNode, indent: str = "") -> list[str]:
    """The correlation and the store query of every base rule, for people (convert, test)."""
    spec = node.spec
    condition = " and ".join(f"{b.op} {b.value:g}" for b in spec.bounds) or "the extended condition"
    measured = {v for v in spec.slot_value_fields if v}
    of = f" of {', '.join(sorted(measured))}" if measured else ""
    lines = [
        f"{indent}{spec.kind}{of} {condition} within {spec.span}, "
        f"per {', '.join(spec.group_by) or 'everything (no group-by)'}:"
    ]
    for slot, source in enumerate(node.inputs):
        fields = ", ".join(spec.slot_fields[slot])
        if isinstance(source, BaseInput):
            lines.append(f"{indent}  [{slot}] rule {source.rule_id} (groups by {fields or '-'}):")
            query = source.query if isinstance(source.query, str) else dumps(source.query)
            lines.append(f"{indent}      {query}")
        else:
            lines.append(f"{indent}  [{slot}] correlation {source.spec.rule_id}:")
            lines.extend(describe(source, indent + "      "))
    return lines


def _is_new(event: Event, window_start: datetime) -> bool:
    try:
        return from_iso(str(event.fields[INGESTED])) >= window_start
    except (KeyError, ValueError):
        return True  # unknown ingestion time: evaluate rather than miss


def _evaluate(
    node: CorrelationNode,
    fetched: dict[str, list[Event]],
    new_events: set[str],
    memo: dict[int, list[Occurrence]],
    *,
    only_new: bool,
) -> list[Occurrence]:
    inputs: list[list[Source]] = []
    for item in node.inputs:
        if isinstance(item, BaseInput):
            inputs.append([event_source(e, e.id in new_events) for e in fetched[item.fetch_key]])
            continue
        if id(item) not in memo:
            # A correlation feeding another is evaluated over its whole look-back.
            memo[id(item)] = _evaluate(item, fetched, new_events, memo, only_new=False)
        inputs.append([occurrence.source() for occurrence in memo[id(item)]])
    return evaluate(node.spec, inputs, only_new=only_new)


def _bounded(value: Any) -> Any:
    """Group values are attacker-controlled: an alert keeps them bounded, like build.py."""
    if isinstance(value, str) and len(value) > SNAPSHOT_TEXT_LIMIT:
        return value[:SNAPSHOT_TEXT_LIMIT] + "…"
    return value


def _stored_key(values: Mapping[str, Any], group_by: Sequence[str]) -> GroupKey:
    """The group of a stored (bounded) group key, compared as the evaluation compares."""
    return tuple(distinct_value(values.get(name)) for name in group_by)


def _by_group(alerts: Sequence[Alert], group_by: Sequence[str]) -> dict[GroupKey, list[Alert]]:
    grouped: dict[GroupKey, list[Alert]] = {}
    for alert in alerts:
        grouped.setdefault(_stored_key(alert.group_key, group_by), []).append(alert)
    return grouped
