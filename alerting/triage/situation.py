"""The overview's situation charts: alerts over time by severity, open alerts by severity,
top rules, source IPs and hosts, ATT&CK tactics hit, and the daily MTTA/MTTR trend.

Counts come from the store's aggregations (:class:`~canhgac.store.alert_stats.AlertStats`),
never from reading alerts; the trend from the triage store's status history (the overview
already reads it for its response-time table). Buckets are aligned to Hanoi time so a day is
an analyst's day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alerting.triage.charts import BarRow, TimeChart, Trend, bar_rows, time_chart, trend
from alerting.triage.rule_catalog import ATTACK_PREFIX, RuleInfo
from canhgac.models import AlertStatus, Severity
from canhgac.store.alert_stats import AlertDimension, AlertStats, ValueCount
from canhgac.store.triage import StatusChange
from canhgac.timeutil import DISPLAY_ZONE, from_iso, to_iso

TOP = 10
TREND_DAYS = 14
#: The ATT&CK enterprise tactics, in kill-chain order, as Sigma tags spell them.
TACTICS = (
    "reconnaissance",
    "resource_development",
    "initial_access",
    "execution",
    "persistence",
    "privilege_escalation",
    "defense_evasion",
    "credential_access",
    "discovery",
    "lateral_movement",
    "collection",
    "command_and_control",
    "exfiltration",
    "impact",
)
#: Tags counted per window before the tactics are picked out (rule sets have few).
TAG_SCAN = 500


class ChartRange(StrEnum):
    day = "24h"
    week = "7d"
    month = "30d"


# range -> (span, bucket)
RANGES: dict[ChartRange, tuple[timedelta, timedelta]] = {
    ChartRange.day: (timedelta(hours=24), timedelta(hours=1)),
    ChartRange.week: (timedelta(days=7), timedelta(hours=6)),
    ChartRange.month: (timedelta(days=30), timedelta(days=1)),
}


@dataclass(frozen=True, slots=True)
class Situation:
    range: ChartRange
    since: str
    until: str
    over_time: TimeChart
    open_by_severity: list[BarRow]
    top_rules: list[BarRow]
    top_source_ips: list[BarRow]
    top_hosts: list[BarRow]
    tactics: list[BarRow]
    response_trend: Trend


def bucket_edges(now: datetime, chart: ChartRange) -> list[str]:
    """Bucket boundaries (UTC strings) ending at the first boundary after ``now``, counted
    from Hanoi midnight."""
    span, step = RANGES[chart]
    local = now.astimezone(DISPLAY_ZONE)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight + step * ((local - midnight) // step + 1)
    count = int(span / step)
    return [to_iso(end - step * (count - i)) for i in range(count + 1)]


def _rule_rows(
    stats: AlertStats, since: str, until: str, rules: Mapping[str, RuleInfo]
) -> list[BarRow]:
    rows = bar_rows(
        stats.top(AlertDimension.rule, since, until, limit=TOP), "rule_id", since=since, until=until
    )
    # The title is shown; the id stays the filter (and is shown when the rule file is gone).
    return [
        BarRow(rules[r.key].title if r.key in rules else r.key, r.key, r.alerts, r.length, r.href)
        for r in rows
    ]


def _tactic_rows(stats: AlertStats, since: str, until: str) -> list[BarRow]:
    tags = {v.value: v.alerts for v in stats.top(AlertDimension.tag, since, until, limit=TAG_SCAN)}
    found = [
        ValueCount(ATTACK_PREFIX + t, tags[ATTACK_PREFIX + t])
        for t in TACTICS
        if ATTACK_PREFIX + t in tags
    ]
    rows = bar_rows(found, "tag", since=since, until=until)
    return [
        BarRow(r.label.removeprefix(ATTACK_PREFIX), r.key, r.alerts, r.length, r.href) for r in rows
    ]


def daily_response(
    changes: Sequence[StatusChange], now: datetime
) -> list[tuple[str, str, float | None, float | None]]:
    """Per Hanoi day of the alerts' creation: mean time to the first move out of ``new`` and
    to the first close, over the last :data:`TREND_DAYS` days."""
    edges = bucket_edges(now, ChartRange.month)[-TREND_DAYS - 1 :]
    acks: dict[str, float] = {}
    closes: dict[str, float] = {}
    created: dict[str, str] = {}
    for change in changes:
        elapsed = max(
            0.0, (from_iso(change.at) - from_iso(change.alert_created_at)).total_seconds()
        )
        created[change.alert_id] = change.alert_created_at
        if change.from_status is AlertStatus.new:
            acks.setdefault(change.alert_id, elapsed)
        if change.to_status is AlertStatus.closed:
            closes.setdefault(change.alert_id, elapsed)

    def mean(found: dict[str, float], start: str, end: str) -> float | None:
        values = [v for a, v in found.items() if start <= created[a] < end]
        return sum(values) / len(values) if values else None

    return [
        (start, end, mean(acks, start, end), mean(closes, start, end))
        for start, end in zip(edges, edges[1:], strict=False)
    ]


def build_situation(
    stats: AlertStats,
    open_counts: Callable[[Severity], int],
    changes: Sequence[StatusChange],
    rules: Mapping[str, RuleInfo],
    now: datetime,
    chart: ChartRange,
) -> Situation:
    edges = bucket_edges(now, chart)
    since, until = edges[0], edges[-1]
    open_rows = bar_rows(
        [ValueCount(s.value, open_counts(s)) for s in reversed(Severity)], "severity"
    )
    return Situation(
        range=chart,
        since=since,
        until=until,
        over_time=time_chart(edges, stats.histogram(edges)),
        open_by_severity=open_rows,
        top_rules=_rule_rows(stats, since, until, rules),
        top_source_ips=bar_rows(
            stats.top(AlertDimension.source_ip, since, until, limit=TOP),
            "source_ip",
            since=since,
            until=until,
        ),
        top_hosts=bar_rows(
            stats.top(AlertDimension.host, since, until, limit=TOP),
            "host",
            since=since,
            until=until,
        ),
        tactics=_tactic_rows(stats, since, until),
        response_trend=trend(daily_response(changes, now)),
    )
