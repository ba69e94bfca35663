"""The overview page's figures: open alerts, response times, top rules and ingest health.

The Store ABC has counts but no aggregations, so the figures that need one are computed from
bounded samples, and the page says so: top rules over the newest alerts of the last 7 days,
ingest rates over the events stored in the last 15 minutes. MTTA and MTTR come from the triage
store's status history (first move out of ``new``, first move to ``closed``, each measured
from when the alert was stored) for alerts created in the window.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from canhgac.models import AlertFilter, AlertStatus, Severity
from canhgac.store.base import TriageSiteStore
from canhgac.store.triage import StatusChange, TriageStore
from canhgac.timeutil import from_iso, to_iso

RESPONSE_WINDOWS_DAYS = (7, 30)
TOP_RULES = 10
TOP_RULES_SAMPLE = 5000
INGEST_WINDOW = timedelta(minutes=15)
# The newest events sampled (their rates are over the span they cover): enough for rates,
# few enough that Elasticsearch's fetch phase stays well under the page's budget.
INGEST_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    severity: Severity
    days: int
    mtta_seconds: float | None
    acknowledged: int
    mttr_seconds: float | None
    closed: int


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule_id: str
    title: str
    alerts: int


@dataclass(frozen=True, slots=True)
class DatasetHealth:
    dataset: str
    per_minute: float
    last_ingested: str
    median_lag_seconds: float | None


@dataclass(frozen=True, slots=True)
class RuleDelay:
    rule_id: str
    watermark: str | None
    delay_seconds: float | None
    last_error: str | None
    #: A person switched it off (the rules page): its watermark stays put on purpose.
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Overview:
    generated_at: str
    open_by_severity: dict[Severity, int]
    response_times: list[ResponseTimes]
    top_rules: list[RuleCount]
    top_rules_sampled: int
    datasets: list[DatasetHealth]
    ingest_sample_capped: bool
    events_total: int
    dead_letters: int
    rules: list[RuleDelay]


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def response_times(changes: Sequence[StatusChange], now: datetime) -> list[ResponseTimes]:
    """MTTA and MTTR per severity and window, from status changes (oldest first)."""
    acknowledged: dict[str, tuple[StatusChange, float]] = {}
    closed: dict[str, tuple[StatusChange, float]] = {}
    for change in changes:
        elapsed = (from_iso(change.at) - from_iso(change.alert_created_at)).total_seconds()
        if change.from_status is AlertStatus.new:
            acknowledged.setdefault(change.alert_id, (change, elapsed))
        if change.to_status is AlertStatus.closed:
            closed.setdefault(change.alert_id, (change, elapsed))
    result = []
    for severity in Severity:
        for days in RESPONSE_WINDOWS_DAYS:
            since = to_iso(now - timedelta(days=days))

            # Called within this iteration only, so the loop variables it reads are current.
            def within(found: dict[str, tuple[StatusChange, float]]) -> list[float]:
                return [
                    max(0.0, elapsed)
                    for change, elapsed in found.values()
                    if change.severity is severity and change.alert_created_at >= since  # noqa: B023 - see above
                ]

            acks, closes = within(acknowledged), within(closed)
            result.append(
                ResponseTimes(severity, days, _mean(acks), len(acks), _mean(closes), len(closes))
            )
    return result


def _ingest_health(store: TriageSiteStore, now: datetime) -> tuple[list[DatasetHealth], bool]:
    start, end = now - INGEST_WINDOW, now
    sample = store.ingest_stamps(to_iso(start), to_iso(end), INGEST_SAMPLE)
    capped = sample.since is not None
    if sample.since is not None:
        # The newest events only: rates are over the span they cover, up to now.
        start = from_iso(sample.since)
    minutes = max((end - start).total_seconds() / 60, 1 / 60)
    counts: Counter[str] = Counter()
    last: dict[str, str] = {}
    lags: defaultdict[str, list[float]] = defaultdict(list)
    for stamp in sample.stamps:
        counts[stamp.dataset] += 1
        last[stamp.dataset] = max(last.get(stamp.dataset, ""), stamp.ingested)
        try:
            lag = from_iso(stamp.ingested) - from_iso(str(stamp.timestamp))
        except ValueError:
            continue
        lags[stamp.dataset].append(lag.total_seconds())
    datasets = [
        DatasetHealth(
            dataset,
            count / minutes,
            last[dataset],
            statistics.median(lags[dataset]) if lags[dataset] else None,
        )
        for dataset, count in counts.most_common()
    ]
    return datasets, capped


def _rule_delays(store: TriageSiteStore, rule_ids: Sequence[str], now: datetime) -> list[RuleDelay]:
    ids = list(rule_ids)
    states = store.get_rule_states(ids)
    off = {r for r, switch in store.get_rule_switches(ids).items() if not switch.enabled}
    delays = []
    for rule_id in ids:
        state = states.get(rule_id)
        if state is None:
            delays.append(RuleDelay(rule_id, None, None, None, rule_id in off))
            continue
        delay = (now - from_iso(state.watermark)).total_seconds()
        delays.append(RuleDelay(rule_id, state.watermark, delay, state.last_error, rule_id in off))
    # Most behind first: that is what ops looks for; a disabled rule trails on purpose, last.
    return sorted(delays, key=lambda d: (d.disabled, -(d.delay_seconds or float("inf"))))


def build_overview(
    store: TriageSiteStore,
    triage: TriageStore,
    now: datetime,
    rule_ids: Callable[[], Sequence[str]],
    *,
    sample_top_rules: bool = True,
) -> Overview:
    """The overview's figures; ``sample_top_rules``: count the top rules from a sample of
    recent alerts (a store with aggregations charts them instead, see situation.py)."""
    open_by_severity = {
        severity: sum(
            n
            for status, n in store.count_alerts(AlertFilter(severity=severity)).items()
            if status is not AlertStatus.closed
        )
        for severity in Severity
    }
    since = now - timedelta(days=max(RESPONSE_WINDOWS_DAYS))
    changes = triage.status_changes_since(to_iso(since))
    recent = (
        store.list_alerts(
            AlertFilter(since=to_iso(now - timedelta(days=7)), limit=TOP_RULES_SAMPLE)
        )
        if sample_top_rules
        else []
    )
    per_rule = Counter(alert.rule_id for alert in recent)
    titles = {alert.rule_id: alert.rule_title for alert in recent}
    datasets, capped = _ingest_health(store, now)
    return Overview(
        generated_at=to_iso(now),
        open_by_severity=open_by_severity,
        response_times=response_times(changes, now),
        top_rules=[RuleCount(r, titles[r], n) for r, n in per_rule.most_common(TOP_RULES)],
        top_rules_sampled=len(recent),
        datasets=datasets,
        ingest_sample_capped=capped,
        events_total=store.count_events(),
        dead_letters=store.count_dead_letters(),
        rules=_rule_delays(store, rule_ids(), now),
    )
