"""Alert construction: severities, deterministic ids, grouping buckets and snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerting.alerts import (
    SNAPSHOT_TEXT_LIMIT,
    AlertRule,
    alert_id,
    build_alerts,
    severity_for,
)
from canhgac.models import Event, Severity

NOW = "2026-03-01T12:00:00.000000Z"


def _event(event_id: str, timestamp: str, **fields: Any) -> Event:
    doc: dict[str, Any] = {
        "@timestamp": timestamp,
        "event.original": "line",
        "event.ingested": "2026-03-01T11:59:00.000000Z",
    }
    doc.update({name.replace("__", "."): value for name, value in fields.items()})
    return Event(event_id, doc)


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("informational", Severity.informational),
        ("low", Severity.low),
        ("medium", Severity.medium),
        ("HIGH", Severity.high),
        ("critical", Severity.critical),
        (None, Severity.medium),
        ("bogus", Severity.medium),
    ],
)
def test_sigma_levels_map_to_severities(level: str | None, severity: Severity) -> None:
    assert severity_for(level) is severity


def test_one_alert_per_event_with_a_deterministic_id_and_rule_metadata() -> None:
    rule = AlertRule(
        id="r1",
        title="SSH đăng nhập thất bại",
        severity=Severity.high,
        description="desc",
        path="rules/linux/ssh.yml",
        tags=("attack.t1110",),
        references=("https://example.org",),
        author="SOC Hà Nội",
    )
    events = [
        _event("e1", "2026-03-01T10:00:00.000000Z", source__ip="10.0.0.1"),
        _event("e2", "2026-03-01T10:00:01.000000Z", source__ip="10.0.0.2"),
    ]

    drafts = build_alerts(rule, events, NOW)
    again = build_alerts(rule, events, "2026-03-02T00:00:00.000000Z")

    assert [draft.alert.id for draft in drafts] == [alert_id("r1", "e1"), alert_id("r1", "e2")]
    assert [draft.alert.id for draft in again] == [draft.alert.id for draft in drafts]
    first = drafts[0].alert
    assert drafts[0].event_ids == ["e1"]
    assert (first.rule_title, first.rule_path, first.author) == (
        "SSH đăng nhập thất bại",
        "rules/linux/ssh.yml",
        "SOC Hà Nội",
    )
    assert first.tags == ["attack.t1110"] and first.references == ["https://example.org"]
    assert first.first_seen == first.last_seen == "2026-03-01T10:00:00.000000Z"
    assert first.group_key == {}
    assert (first.created_at, first.count) == (NOW, 1)


def test_grouping_folds_a_group_within_a_suppression_bucket() -> None:
    rule = AlertRule(id="r2", title="t", group_by=("source.ip",), suppress=timedelta(minutes=30))
    events = [
        _event("a1", "2026-03-01T10:00:00.000000Z", source__ip="10.0.0.1"),
        _event("b1", "2026-03-01T10:05:00.000000Z", source__ip="10.0.0.2"),
        _event("a2", "2026-03-01T10:29:59.999999Z", source__ip="10.0.0.1"),
        _event("a3", "2026-03-01T10:30:00.000000Z", source__ip="10.0.0.1"),
        _event("n1", "2026-03-01T10:01:00.000000Z"),
    ]

    drafts = build_alerts(rule, events, NOW)

    summary = [
        (
            draft.alert.group_key,
            draft.event_ids,
            draft.alert.count,
            draft.alert.first_seen,
            draft.alert.last_seen,
        )
        for draft in drafts
    ]
    assert summary == [
        (
            {"source.ip": "10.0.0.1"},
            ["a1", "a2"],
            2,
            "2026-03-01T10:00:00.000000Z",
            "2026-03-01T10:29:59.999999Z",
        ),
        (
            {"source.ip": "10.0.0.2"},
            ["b1"],
            1,
            "2026-03-01T10:05:00.000000Z",
            "2026-03-01T10:05:00.000000Z",
        ),
        (
            {"source.ip": "10.0.0.1"},
            ["a3"],
            1,
            "2026-03-01T10:30:00.000000Z",
            "2026-03-01T10:30:00.000000Z",
        ),
        (
            {"source.ip": None},
            ["n1"],
            1,
            "2026-03-01T10:01:00.000000Z",
            "2026-03-01T10:01:00.000000Z",
        ),
    ]
    assert drafts[0].alert.id == alert_id("r2", '["10.0.0.1"]', "2026-03-01T10:00:00.000000Z")
    # Another page of the same bucket lands on the same alert.
    [later] = build_alerts(
        rule, [_event("a4", "2026-03-01T10:20:00.000000Z", source__ip="10.0.0.1")], NOW
    )
    assert later.alert.id == drafts[0].alert.id


def test_the_snapshot_takes_each_key_field_from_the_first_event_that_has_it() -> None:
    rule = AlertRule(id="r3", title="t", group_by=("custom.field",), suppress=timedelta(hours=1))
    long_command = "x" * (SNAPSHOT_TEXT_LIMIT + 50)
    events = [
        _event("e1", "2026-03-01T10:00:00.000000Z", user__name="nguyễn", custom__field="k"),
        _event(
            "e2",
            "2026-03-01T10:00:01.000000Z",
            user__name="other",
            custom__field="k",
            source__ip="10.0.0.9",
            process__command_line=long_command,
        ),
    ]

    [draft] = build_alerts(rule, events, NOW)

    assert draft.alert.snapshot == {
        "user.name": "nguyễn",
        "source.ip": "10.0.0.9",
        "process.command_line": "x" * SNAPSHOT_TEXT_LIMIT + "…",
        "custom.field": "k",
    }


def test_an_unreadable_timestamp_falls_back_to_the_ingest_time() -> None:
    rule = AlertRule(id="r4", title="t")
    [draft] = build_alerts(rule, [_event("e1", "yesterday-ish")], NOW)
    assert draft.alert.first_seen == "2026-03-01T11:59:00.000000Z"
