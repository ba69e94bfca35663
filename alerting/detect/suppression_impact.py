"""Impact preview: how many of the last N days' alerts a suppression would have suppressed.

Run before a suppression (an "exception" in the files and the UI) is saved. For each rule it
names, the stored alerts of the period are read with their events, and the rule's query
*restricted to the suppression's match* is run over the time those events were ingested,
through the store's own compiler (so the preview agrees with what production would have
excluded, on either store). An alert is *suppressed* when every one of its events matches the
suppression, *reduced* when some do. For a correlation, the suppression is tried on each of its
base rules, as production applies it.

Alerts keep at most 100 event ids (the store keeps the full link list); for a bigger alert the
preview decides on those 100.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from alerting.detect.compile.rules import QUERY_COMPILERS, CompiledRule
from alerting.detect.correlation.reads import fetch_events
from alerting.detect.correlation.run import CorrelationNode, CorrelationQuery
from alerting.detect.load.filters import with_filter
from alerting.detect.load.suppressions import LoadedSuppression
from canhgac.models import INGESTED, Alert, AlertFilter
from canhgac.store.base import DetectionStore
from canhgac.timeutil import from_iso, to_iso

PAGE = 1000


@dataclass(frozen=True, slots=True)
class RuleImpact:
    rule_id: str
    title: str
    alerts: int
    suppressed: int
    reduced: int
    events_excluded: int


@dataclass(frozen=True, slots=True)
class ImpactReport:
    suppression_id: str
    since: str
    rules: list[RuleImpact]

    @property
    def suppressed(self) -> int:
        return sum(rule.suppressed for rule in self.rules)


def preview_impact(
    loaded: LoadedSuppression,
    rules: Sequence[CompiledRule],
    pipeline: ProcessingPipeline,
    store: DetectionStore,
    *,
    days: int,
    now: datetime,
) -> ImpactReport:
    """What ``loaded`` would have done to the alerts of the last ``days`` days.
    ``rules`` is every compiled rule (scheduled and correlation inputs)."""
    by_id = {rule.id: rule for rule in rules}
    since = to_iso(now - timedelta(days=days))
    impacts = []
    for reference in loaded.suppression.rules:
        rule = by_id.get(reference) or next(
            (r for r in rules if r.source.rule.name == reference), None
        )
        if rule is None:
            continue
        alerts = list(_alerts(store, rule.id, since))
        event_ids = {event_id for alert in alerts for event_id in alert.event_ids}
        excluded = _excluded(loaded, rule, by_id, pipeline, store, event_ids)
        suppressed = sum(1 for a in alerts if a.event_ids and set(a.event_ids) <= excluded)
        reduced = sum(1 for a in alerts if set(a.event_ids) & excluded) - suppressed
        impacts.append(
            RuleImpact(rule.id, rule.title, len(alerts), suppressed, reduced, len(excluded))
        )
    return ImpactReport(loaded.suppression.id, since, impacts)


def _alerts(store: DetectionStore, rule_id: str, since: str) -> Iterator[Alert]:
    # Keyset pages in the store: an offset would re-read the pages before each one (and
    # Elasticsearch refuses one past 10,000 alerts).
    return store.scan_alerts(AlertFilter(rule_id=rule_id, since=since))


def _excluded(
    loaded: LoadedSuppression,
    rule: CompiledRule,
    by_id: dict[str, CompiledRule],
    pipeline: ProcessingPipeline,
    store: DetectionStore,
    event_ids: set[str],
) -> set[str]:
    """The alert events the suppression's match selects, through each base rule's query."""
    if not event_ids:
        return set()
    events = store.get_events(sorted(event_ids))
    stamps = sorted(str(e.fields[INGESTED]) for e in events if INGESTED in e.fields)
    if not stamps:
        return set()
    start, end = stamps[0], to_iso(from_iso(stamps[-1]) + timedelta(microseconds=1))
    compile_query = QUERY_COMPILERS[store.query_language]
    selected: set[str] = set()
    for base in _base_rules(rule, by_id):
        probe = with_filter(base, loaded.sigma_filter(negate=False), "impact preview")
        query: Any = compile_query(copy.deepcopy(probe), pipeline).query
        selected.update(
            e.id for e in fetch_events(store, query, start, end, PAGE) if e.id in event_ids
        )
    return selected


def _base_rules(rule: CompiledRule, by_id: dict[str, CompiledRule]) -> list[SigmaRule]:
    if not isinstance(rule.query, CorrelationQuery):
        source = rule.source.rule
        return [source] if isinstance(source, SigmaRule) else []
    return [
        base
        for rule_id in sorted(_base_ids(rule.query.root))
        if rule_id in by_id and isinstance(base := by_id[rule_id].source.rule, SigmaRule)
    ]


def _base_ids(node: CorrelationNode) -> set[str]:
    return {base.rule_id for base in node.base_inputs().values()}
