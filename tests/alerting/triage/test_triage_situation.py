"""The overview's situation figures: the daily MTTA/MTTR trend and the chart geometry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerting.triage.charts import time_chart, trend
from alerting.triage.situation import TREND_DAYS, daily_response
from canhgac.models import AlertStatus, Severity
from canhgac.store.alert_stats import BucketCount
from canhgac.store.triage import StatusChange
from canhgac.timeutil import to_iso

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi


def _change(alert: str, created: datetime, after: timedelta, to: AlertStatus) -> StatusChange:
    return StatusChange(
        alert_id=alert,
        at=to_iso(created + after),
        actor="analyst",
        from_status=AlertStatus.new if to is AlertStatus.acknowledged else AlertStatus.acknowledged,
        to_status=to,
        severity=Severity.high,
        alert_created_at=to_iso(created),
    )


def testdaily_response_means_per_hanoi_day_of_creation() -> None:
    today = NOW - timedelta(hours=1)  # 09:00 Hanoi, today
    yesterday = NOW - timedelta(hours=20)  # 14:00 Hanoi, yesterday
    changes = [
        _change("a", today, timedelta(minutes=10), AlertStatus.acknowledged),
        _change("a", today, timedelta(minutes=40), AlertStatus.closed),
        _change("b", today, timedelta(minutes=30), AlertStatus.acknowledged),
        _change("c", yesterday, timedelta(hours=2), AlertStatus.acknowledged),
    ]
    days = daily_response(changes, NOW)
    assert len(days) == TREND_DAYS
    assert days[-1][0] == "2026-12-02T17:00:00.000000Z"  # Hanoi midnight
    assert days[-1][2:] == (20 * 60, 40 * 60)
    assert days[-2][2:] == (2 * 3600, None)
    assert all(d[2:] == (None, None) for d in days[:-2])
    line = trend(days, width=130, height=100)
    assert line.peak_seconds == 2 * 3600
    assert line.line("mtta").count(",") == 2 and line.line("mttr").count(",") == 1
    assert line.points[-2].mtta_y == 6.0  # the peak is at the top, inside the padding


def test_time_chart_stacks_severities_and_links_each_segment() -> None:
    edges = [
        "2026-12-03T00:00:00.000000Z",
        "2026-12-03T01:00:00.000000Z",
        "2026-12-03T02:00:00.000000Z",
    ]
    counts = [
        BucketCount(0, Severity.critical, 1),
        BucketCount(0, Severity.low, 3),
        BucketCount(1, Severity.high, 2),
    ]
    chart = time_chart(edges, counts, width=200, height=101)
    assert chart.peak == 4 and len(chart.columns) == 2
    first = chart.columns[0]
    assert [s.severity for s in first.segments] == [Severity.low, Severity.critical]
    assert [s.height for s in first.segments] == [75.0, 25.0]
    assert first.segments[1].y == 1.0  # critical on top
    assert first.segments[0].href == (
        "/alerts?severity=low&since=2026-12-03T00%3A00%3A00.000000Z"
        "&until=2026-12-03T01%3A00%3A00.000000Z"
    )
    assert chart.columns[1].x == 100.0 and chart.columns[1].total == 2
    assert time_chart(edges[:1], []).columns == ()
