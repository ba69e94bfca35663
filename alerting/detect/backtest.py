"""Run one rule over stored history and return the alerts it would have raised.

The same code as production, minus the side effects: the history is cut into windows of
``event.ingested`` like the engine's backfill; a detection rule's matches become alerts through
:func:`alerting.alerts.build_alerts`, a correlation's through
:meth:`CorrelationQuery.run`. Nothing is stored and nothing is notified; alerts that production
would merge (same id) are merged here, and a correlation burst continues across windows as it
would in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.alerts import AlertDraft, build_alerts
from alerting.detect.compile.rules import CompiledRule
from alerting.detect.correlation.reads import fetch_events
from alerting.detect.correlation.run import CorrelationQuery, DraftedAlerts
from canhgac.store.base import DetectionStore
from canhgac.timeutil import to_iso


@dataclass(frozen=True, slots=True)
class Backtest:
    rule: CompiledRule
    drafts: list[AlertDraft]
    windows: int
    matches: int


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[str, str]]:
    while start < end:
        stop = min(start + size, end)
        yield to_iso(start), to_iso(stop)
        start = stop


def backtest(
    rule: CompiledRule,
    store: DetectionStore,
    start: datetime,
    end: datetime,
    *,
    window: timedelta,
    page_size: int,
    now: datetime,
    on_window: Callable[[int, int], object] | None = None,
) -> Backtest:
    """The alerts ``rule`` would have raised for events ingested in ``[start, end)``;
    ``on_window(done, total)`` is called after each window (a progress bar)."""
    drafted = DraftedAlerts()
    matches = 0
    stamp = to_iso(now)
    spans = list(windows(start, end, window))
    for done, (window_start, window_end) in enumerate(spans, start=1):
        if isinstance(rule.query, CorrelationQuery):
            outcome = rule.query.run(
                store, window_start, window_end, page_size=page_size, now=stamp, known=drafted
            )
            matches += outcome.matches
            drafted.add(outcome.drafts)
        else:
            events = list(fetch_events(store, rule.query, window_start, window_end, page_size))
            matches += len(events)
            drafted.add(build_alerts(rule.alert_rule, events, stamp))
        if on_window is not None:
            on_window(done, len(spans))
    drafts = sorted(drafted.drafts.values(), key=lambda d: (d.alert.first_seen, d.alert.id))
    return Backtest(rule, drafts, len(spans), matches)
