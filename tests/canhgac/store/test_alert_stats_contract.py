"""The alert statistics (canhgac.store.alert_stats) give the same counts on every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import Alert, AlertStatus, Severity
from canhgac.store.alert_stats import AlertDimension, BucketCount, RuleOutcome, ValueCount
from canhgac.store.base import Store
from tests.canhgac.store.test_store_contract import STORES

XSS = "<script>alert(1)</script>"


@pytest.fixture(
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from STORES[request.param](tmp_path)


def _seen(hour: int) -> str:
    return f"2026-12-01T{hour:02d}:30:00.000000Z"


def _alert(n: int, hour: int, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": f"a{n}",
        "rule_id": "r1",
        "rule_title": "Test",
        "severity": "high",
        "first_seen": _seen(hour),
        "last_seen": _seen(hour),
        "created_at": _seen(hour),
        "updated_at": _seen(hour),
    }
    values.update(fields)
    return Alert(**values)


@pytest.fixture
def filled(store: Store) -> Store:
    alerts = [
        _alert(
            1,
            1,
            severity="critical",
            tags=["attack.t1110", "attack.credential_access"],
            snapshot={"host.name": "web-01", "source.ip": "10.0.0.9"},
        ),
        _alert(2, 1, snapshot={"host.name": "web-01", "source.ip": XSS}),
        _alert(
            3,
            2,
            rule_id="r2",
            severity="low",
            tags=["attack.credential_access"],
            snapshot={"host.name": "máy-chủ-2"},
        ),
        _alert(4, 5, rule_id="r2", status=AlertStatus.closed, close_reason="false_positive"),
        _alert(5, 5, rule_id="r2", status=AlertStatus.closed, close_reason="true_positive"),
        _alert(6, 9),  # outside every window below
    ]
    store.record_alerts([(a, [f"e-{a.id}"]) for a in alerts])
    return store


def test_histogram_counts_each_bucket_by_severity(filled: Store) -> None:
    edges = [_seen(0)[:11] + f"{h:02d}:00:00.000000Z" for h in (0, 2, 4, 6)]
    assert filled.alert_stats().histogram(edges) == [
        BucketCount(0, Severity.critical, 1),
        BucketCount(0, Severity.high, 1),
        BucketCount(1, Severity.low, 1),
        BucketCount(2, Severity.high, 2),
    ]
    assert filled.alert_stats().histogram(edges[:1]) == []


def test_top_values_per_dimension(filled: Store) -> None:
    stats = filled.alert_stats()
    since, until = "2026-12-01T00:00:00.000000Z", "2026-12-01T06:00:00.000000Z"
    assert stats.top(AlertDimension.rule, since, until) == [
        ValueCount("r2", 3),
        ValueCount("r1", 2),
    ]
    assert stats.top(AlertDimension.host, since, until) == [
        ValueCount("web-01", 2),
        ValueCount("máy-chủ-2", 1),
    ]
    assert stats.top(AlertDimension.source_ip, since, until) == [
        ValueCount("10.0.0.9", 1),
        ValueCount(XSS, 1),
    ]
    assert stats.top(AlertDimension.source_ip, since, until, limit=1) == [ValueCount("10.0.0.9", 1)]
    assert stats.top(AlertDimension.tag, since, until) == [
        ValueCount("attack.credential_access", 2),
        ValueCount("attack.t1110", 1),
    ]


def test_rule_outcomes_count_false_positives_among_closed(filled: Store) -> None:
    outcomes = filled.alert_stats().rule_outcomes(
        "2026-12-01T00:00:00.000000Z", "2026-12-01T06:00:00.000000Z"
    )
    assert outcomes == [RuleOutcome("r1", 2, 0, 0), RuleOutcome("r2", 3, 2, 1)]
    assert outcomes[1].false_positive_rate == 0.5
    assert outcomes[0].false_positive_rate is None


def test_the_queue_filters_by_one_tag_exactly(filled: Store) -> None:
    from canhgac.models import AlertFilter

    tagged = filled.list_alerts(AlertFilter(tag="attack.credential_access"))
    assert sorted(a.id for a in tagged) == ["a1", "a3"]
    assert filled.list_alerts(AlertFilter(tag="attack.credential")) == []
    counts = filled.count_alerts(AlertFilter(tag="attack.t1110"))
    assert sum(counts.values()) == 1
