"""The soak's arithmetic (bench/tools/soak_stats.py): lag, percentiles, minute rows, trend, verdict."""

from __future__ import annotations

import pytest

from bench.tools.soak_stats import (
    AttackSent,
    MinuteRow,
    Sample,
    SenderMark,
    Totals,
    ingest_lag,
    joined_records,
    minute_rows,
    percentile,
    rss_grows,
    slope,
    verdict,
)

MIB = 2**20


def _marks(rate: int, seconds: int) -> list[SenderMark]:
    return [SenderMark(float(t), rate * t, rate * t) for t in range(seconds + 1)]


def _row(minute: int, rss_mb: float, *, behind_s: float = 0.0) -> MinuteRow:
    return MinuteRow(
        minute, 600, behind_s, 600, 0, 0, 0.0, 30.0, rss_mb, 50.0, 1.0, 1, 0, 60.0, 60.0
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == 51.0  # rank round(0.5 * 99) = 50 -> 51
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0.0) == 1.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_ingest_lag_is_the_age_of_the_oldest_unprocessed_event() -> None:
    marks = _marks(100, 60)  # 100 events a second for a minute
    assert ingest_lag(marks, 6000, 60.0) == 0.0  # caught up
    assert ingest_lag(marks, 5000, 60.0) == pytest.approx(10.0)  # event 5000 left at 50 s
    assert ingest_lag(marks, 5050, 60.0) == pytest.approx(9.5)  # interpolated
    assert ingest_lag(marks, 0, 70.0) == pytest.approx(70.0)
    assert ingest_lag([], 0, 5.0) == 0.0


def test_audit_records_of_one_event_count_once() -> None:
    seen: set[str] = set()
    lines = [
        "<14>Dec  3 10:00:00 web01 audisp-syslog: type=SYSCALL msg=audit(1700000000.123:42): a",
        "<14>Dec  3 10:00:00 web01 audisp-syslog: type=EXECVE msg=audit(1700000000.123:42): b",
        "<14>Dec  3 10:00:00 web01 audisp-syslog: type=EXECVE msg=audit(1700000000.123:43): c",
        "<38>Dec  3 10:00:00 web01 sshd[1]: Accepted publickey for nguyễn from 10.0.0.1",
    ]
    assert joined_records(lines, seen) == 1
    # a record arriving in a later batch joins its event too
    assert joined_records([lines[2]], seen) == 1


def test_minute_rows_take_differences_and_attack_latencies_per_minute() -> None:
    marks = _marks(100, 120)
    samples = [
        Sample(60.0, 5900, 50, 0, 100 * MIB, 30.0, 40.0, 2.5),
        Sample(120.0, 11800, 100, 10, 110 * MIB, 90.0, 95.0, 3.0),
    ]
    attacks = [
        AttackSent("a", ("r",), "2026-12-03T10:00:10.000000Z", 10.0, 70.0),
        AttackSent("b", ("r",), "2026-12-03T10:00:11.000000Z", 11.0, None),
        AttackSent("a", ("r",), "2026-12-03T10:01:10.000000Z", 70.0, 120.0),
    ]
    first, second = minute_rows(samples, marks, attacks, 2)
    assert (first.sent, first.stored, first.dead, first.dropped) == (6000, 5900, 50, 0)
    assert (second.sent, second.stored, second.dead, second.dropped) == (6000, 5900, 50, 10)
    assert first.lag_s == pytest.approx(0.5)  # 5950 processed of 6000: 0.5 s behind
    assert second.lag_s == pytest.approx(0.9)  # 11910 of 12000
    assert first.cpu_pct == pytest.approx(50.0) and second.cpu_pct == pytest.approx(100.0)
    assert (first.planted, first.missed, first.p50_s, first.p99_s) == (2, 1, 60.0, 60.0)
    assert (second.planted, second.missed, second.p99_s) == (1, 0, 50.0)
    assert second.rss_mb == pytest.approx(110.0)
    assert (second.detect_delay_s, second.load) == (95.0, 3.0)


def test_slope_and_rss_trend() -> None:
    assert slope([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert slope([5.0]) == 0.0
    assert not rss_grows([300.0, 400.0, 401.0, 400.0, 402.0])  # warm-up, then flat
    assert rss_grows([300.0, 400.0, 420.0, 440.0, 460.0])  # +20 MiB a minute of ~430
    assert not rss_grows([300.0, 600.0])  # two points are no trend


def test_verdict_names_every_broken_criterion() -> None:
    rows = [_row(m, 400.0) for m in range(1, 6)]
    on_time = [AttackSent("a", ("r",), "t", 10.0, 70.0)]
    assert verdict(rows, on_time, Totals(3000, 2990, 10, 0), 60.0) == []

    late = [AttackSent("a", ("r",), "t", 10.0, 90.0), AttackSent("b", ("r",), "t", 11.0)]
    growing = [_row(m, 400.0 + 30 * m, behind_s=12.0) for m in range(1, 6)]
    reasons = verdict(growing, late, Totals(3000, 2980, 10, 4), 60.0)
    assert reasons == [
        "sending fell 12 s behind schedule (push-back or CPU)",
        "4 UDP datagrams dropped",
        "10 events neither stored nor dead-lettered",
        "1/2 planted attacks not alerted (b)",
        "p99 event -> alert latency 80.0 s > 70 s",
        "RSS grows minute over minute",
    ]
