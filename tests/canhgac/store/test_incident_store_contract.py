"""The incident store (canhgac.store.incidents) behaves the same on every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import Severity
from canhgac.store.base import Store
from canhgac.store.incidents import (
    Incident,
    IncidentComment,
    IncidentFilter,
    IncidentSort,
    IncidentStatus,
    IncidentTask,
)
from canhgac.store.sqlite.store import SQLiteStore
from tests.canhgac.store.test_store_contract import STORES

XSS = "<script>alert('x')</script>"


@pytest.fixture(
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from STORES[request.param](tmp_path)


def _at(minute: int) -> str:
    return f"2026-12-01T10:{minute:02d}:00.000000Z"


def _incident(ident: str, minute: int = 0, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "id": ident,
        "title": f"Sự cố {ident}",
        "severity": "high",
        "created_by": "an",
        "created_at": _at(minute),
        "updated_at": _at(minute),
        "last_alert_at": _at(minute),
    }
    values.update(fields)
    return Incident(**values)


def test_create_is_idempotent_by_id(store: Store) -> None:
    incidents = store.incidents()
    first = _incident("i1", title=f"Dò mật khẩu {XSS}", alert_ids=["a1", "a2"])
    assert incidents.create_incident(first) is True
    assert incidents.create_incident(_incident("i1", title="other")) is False
    assert incidents.get_incident("i1") == first
    assert incidents.get_incident("nope") is None


def test_replace_needs_the_revision_it_read(store: Store) -> None:
    incidents = store.incidents()
    incidents.create_incident(_incident("i1"))
    task = IncidentTask(id="t1", text="Chặn IP", created_by="an", created_at=_at(1))
    note = IncidentComment(id="c1", author="an", text=XSS, created_at=_at(1))
    changed = _incident(
        "i1",
        status=IncidentStatus.investigating,
        owner="binh",
        tasks=[task],
        comments=[note],
        revision=1,
        updated_at=_at(1),
    )
    assert incidents.replace_incident(changed, 0) is True
    # A second writer that read revision 0 too is refused and changes nothing.
    assert incidents.replace_incident(_incident("i1", title="stale", revision=1), 0) is False
    assert incidents.get_incident("i1") == changed
    assert incidents.replace_incident(_incident("missing", revision=1), 0) is False
    assert incidents.get_incident("missing") is None


def test_list_filters_and_sorts(store: Store) -> None:
    incidents = store.incidents()
    incidents.create_incident(_incident("i1", 1, severity="low", owner="an"))
    incidents.create_incident(_incident("i2", 2, severity="critical", status="closed"))
    incidents.create_incident(_incident("i3", 3, severity="medium", owner="an", status="contained"))

    def ids(**query: Any) -> list[str]:
        return [i.id for i in incidents.list_incidents(IncidentFilter(**query))]

    assert ids() == ["i3", "i2", "i1"]
    assert ids(sort=IncidentSort.oldest) == ["i1", "i2", "i3"]
    assert ids(sort=IncidentSort.severity) == ["i2", "i3", "i1"]
    assert ids(owner="an") == ["i3", "i1"]
    assert ids(status=IncidentStatus.closed) == ["i2"]
    assert ids(active=True) == ["i3", "i1"]
    assert ids(severity=Severity.medium) == ["i3"]
    assert ids(limit=1, offset=1) == ["i2"]


def test_lookup_by_alert_follows_replacements(store: Store) -> None:
    incidents = store.incidents()
    incidents.create_incident(_incident("i1", alert_ids=["a1", "a2"]))
    incidents.create_incident(_incident("i2", alert_ids=["a2", "a3"]))
    assert [i.id for i in incidents.incidents_with_alerts(["a2"])] == ["i1", "i2"]
    assert [i.id for i in incidents.incidents_with_alerts(["a3", "zz"])] == ["i2"]
    assert incidents.incidents_with_alerts([]) == []
    incidents.replace_incident(_incident("i2", alert_ids=["a3"], revision=1), 0)
    assert [i.id for i in incidents.incidents_with_alerts(["a2"])] == ["i1"]


def test_active_incidents_by_entity_and_window(store: Store) -> None:
    incidents = store.incidents()
    ip = "source.ip=203.0.113.9"
    incidents.create_incident(_incident("old", 1, entities=[ip]))
    incidents.create_incident(_incident("new", 30, entities=[ip, "host.name=web-01"]))
    incidents.create_incident(_incident("closed", 30, entities=[ip], status="closed"))
    incidents.create_incident(_incident("other", 30, entities=["user.name=an"]))

    def found(entities: list[str], since: str) -> list[str]:
        return [i.id for i in incidents.active_incidents_with_entities(entities, since)]

    assert found([ip], _at(10)) == ["new"]
    assert found([ip], _at(0)) == ["new", "old"]
    assert found(["host.name=web-01", "user.name=an"], _at(0)) == ["new", "other"]
    assert found(["host.name=nope"], _at(0)) == []


def test_sqlite_incident_tables_survive_reopening(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.incidents().create_incident(_incident("i1", alert_ids=["a1"]))
    store.close()
    reopened = SQLiteStore(tmp_path / "c.db")
    try:
        assert [i.id for i in reopened.incidents().incidents_with_alerts(["a1"])] == ["i1"]
    finally:
        reopened.close()
