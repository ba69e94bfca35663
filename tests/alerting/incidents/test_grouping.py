"""Automatic grouping: shared entity within the window joins, the rest opens; idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.incidents.changes import add_alerts, incident_id_for, new_incident, update_incident
from alerting.incidents.entities import alert_entities
from alerting.incidents.grouping import IncidentGrouper
from alerting.incidents.job import GroupingJob
from canhgac.config_incidents import IncidentsConfig
from canhgac.models import Alert, AlertStatus, Severity
from canhgac.store.base import Store
from canhgac.store.incidents import IncidentFilter, IncidentStatus
from tests.canhgac.store.test_store_contract import STORES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from STORES[request.param](tmp_path)


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _alert(ident: str, minute: int, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": ident,
        "rule_id": "r1",
        "rule_title": "SSH brute force",
        "severity": "high",
        "first_seen": _at(minute),
        "last_seen": _at(minute),
        "created_at": _at(minute),
        "updated_at": _at(minute),
    }
    values.update(fields)
    return Alert(**values)


def _grouper(store: Store, **config: Any) -> IncidentGrouper:
    return IncidentGrouper(store.incidents(), IncidentsConfig(**config), clock=lambda: NOW)


def _groups(store: Store) -> dict[str, list[str]]:
    found = store.incidents().list_incidents(IncidentFilter(limit=1000))
    return {i.id: i.alert_ids for i in found}


def test_entities_prefer_the_group_key_and_skip_meaningless_values() -> None:
    alert = _alert(
        "a",
        0,
        group_key={"source.ip": "203.0.113.9"},
        snapshot={"source.ip": "10.0.0.1", "host.name": "web-01", "user.name": "-"},
    )
    assert alert_entities(alert) == ["source.ip=203.0.113.9", "host.name=web-01"]
    assert alert_entities(_alert("b", 0, snapshot={"host.name": "x" * 600})) == []


def test_alerts_sharing_an_entity_within_the_window_join_one_incident(
    store: Store,
) -> None:
    ip = {"source.ip": "203.0.113.9"}
    alerts = [
        _alert("a1", 0, snapshot=ip),
        # shares the IP: joins, and brings its host along ...
        _alert("a2", 20, snapshot={**ip, "host.name": "web-01"}, severity="critical"),
        # ... so an alert about that host alone joins too (a chain stays together)
        _alert("a3", 40, snapshot={"host.name": "web-01"}),
        # too late after the incident's last alert (window 1 h): a new incident
        _alert("a4", 200, snapshot=ip),
        # nothing in common
        _alert("a5", 10, snapshot={"user.name": "lan"}),
    ]
    outcome = _grouper(store).group(list(reversed(alerts)))  # order read does not matter
    first, late, lan = incident_id_for("a1"), incident_id_for("a4"), incident_id_for("a5")
    assert _groups(store) == {first: ["a1", "a2", "a3"], late: ["a4"], lan: ["a5"]}
    assert sorted(outcome.opened) == sorted([first, late, lan])
    incident = store.incidents().get_incident(first)
    assert incident is not None
    assert incident.severity is Severity.critical  # raised by a2
    assert incident.last_alert_at == _at(40)
    assert incident.entities == ["source.ip=203.0.113.9", "host.name=web-01"]
    assert incident.auto_key == "source.ip=203.0.113.9"
    assert [a.action for a in incident.actions] == [
        "incident.create",
        "incident.add_alerts",
        "incident.add_alerts",
        "incident.severity",
        "incident.add_alerts",
    ]


def test_grouping_twice_changes_nothing(store: Store) -> None:
    alerts = [_alert(f"a{i}", i, snapshot={"host.name": "db-01"}) for i in range(5)]
    _grouper(store).group(alerts)
    before = store.incidents().list_incidents(IncidentFilter())
    again = _grouper(store).group(alerts)
    assert again.opened == [] and again.joined == {}
    assert store.incidents().list_incidents(IncidentFilter()) == before
    assert _groups(store) == {incident_id_for("a0"): [f"a{i}" for i in range(5)]}


def test_an_interrupted_pass_is_completed_not_duplicated(store: Store) -> None:
    # A pass that created the incident but crashed before recording more: the next pass
    # finds the deterministic id taken and adds the alert to it.
    seed = _alert("a1", 0, snapshot={"host.name": "db-01"})
    empty = new_incident(incident_id_for("a1"), title="t", actor="canhgac", at=_at(0), alerts=[])
    store.incidents().create_incident(empty)
    _grouper(store).group([seed])
    assert _groups(store) == {incident_id_for("a1"): ["a1"]}


def test_closed_incidents_low_alerts_and_alerts_without_entities_are_left(
    store: Store,
) -> None:
    host = {"host.name": "db-01"}
    _grouper(store).group([_alert("a1", 0, snapshot=host)])
    update_incident(
        store.incidents(),
        incident_id_for("a1"),
        lambda i: i.model_copy(
            update={"status": IncidentStatus.closed, "revision": i.revision + 1}
        ),
        missing=AssertionError,
    )
    outcome = _grouper(store).group(
        [
            _alert("a2", 5, snapshot=host),  # the incident is closed: a new one
            _alert("a3", 5, snapshot=host, severity="low"),  # below min_severity
            _alert("a4", 5, snapshot=host, status=AlertStatus.closed),
            _alert("a5", 5),  # no entity
        ]
    )
    assert outcome.opened == [incident_id_for("a2")]
    assert outcome.skipped == 1
    assert _groups(store)[incident_id_for("a2")] == ["a2"]
    assert _grouper(store, min_severity="low").group(
        [_alert("a3", 5, snapshot=host, severity="low")]
    ).joined == {incident_id_for("a2"): ["a3"]}


def test_adding_held_alerts_is_a_no_op() -> None:
    alert = _alert("a1", 0, snapshot={"host.name": "h"})
    incident = new_incident("i", title="t", actor="an", at=_at(0), alerts=[alert])
    assert add_alerts(incident, [alert], "an", _at(1)) is incident


def test_the_job_groups_what_the_store_holds_and_honours_the_lease(store: Store) -> None:
    store.record_alert(_alert("a1", -10, snapshot={"host.name": "db-01"}), ["e1"])
    store.record_alert(_alert("a2", -5, snapshot={"host.name": "db-01"}), ["e2"])
    assert store.acquire_lease("canhgac-incident-grouping", "other", 60)
    config = IncidentsConfig(auto_group=True)
    job = GroupingJob(store, config, owner="me", clock=lambda: NOW)
    assert job.run_once().joined == {}  # another detector groups
    store.release_lease("canhgac-incident-grouping", "other")
    assert job.run_once().joined == {incident_id_for("a1"): ["a1", "a2"]}
    assert job.run_once().joined == {}
