"""``canhgac run`` with ``incidents.auto_group``: the detect role groups the stored alerts."""

from __future__ import annotations

import time
from pathlib import Path

from alerting.incidents.changes import incident_id_for
from alerting.incidents.job import GroupingJob
from canhgac.cli.runtime import Runtime
from canhgac.config import Settings
from canhgac.models import Alert
from canhgac.store.incidents import IncidentFilter
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import now_iso


def _alert(ident: str) -> Alert:
    now = now_iso()
    return Alert(
        id=ident,
        rule_id="r1",
        rule_title="SSH brute force",
        severity="high",
        first_seen=now,
        last_seen=now,
        created_at=now,
        updated_at=now,
        snapshot={"host.name": "ecab-db01"},
    )


def _settings(tmp_path: Path, auto_group: bool) -> Settings:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    return Settings(
        data_dir=str(tmp_path),
        roles=["detect"],
        sources=[],
        store={"type": "sqlite", "path": str(tmp_path / "c.db")},
        detection={"rules_dir": str(rules), "pipeline": []},
        health={"enabled": False},
        demo={"mode": "off"},
        incidents={"auto_group": auto_group, "interval": "1s"},
    )


def test_the_detect_role_groups_alerts_when_asked(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.record_alerts([(_alert("a1"), ["e1"]), (_alert("a2"), ["e2"])])
    store.close()
    runtime = Runtime(_settings(tmp_path, auto_group=True))
    runtime.start()
    try:
        assert any(isinstance(part, GroupingJob) for part in runtime.started)
        assert runtime.store is not None
        incidents = runtime.store.incidents()
        deadline = time.monotonic() + 10

        def grouped() -> bool:  # a pass may group a1 and a2 in turn: wait for both
            found = incidents.list_incidents(IncidentFilter())
            return bool(found) and len(found[0].alert_ids) == 2

        while not grouped() and time.monotonic() < deadline:
            time.sleep(0.1)
        [incident] = incidents.list_incidents(IncidentFilter())
        assert incident.id == incident_id_for("a1")
        assert incident.alert_ids == ["a1", "a2"]
    finally:
        runtime.stop()


def test_grouping_is_off_by_default(tmp_path: Path) -> None:
    runtime = Runtime(_settings(tmp_path, auto_group=False))
    runtime.start()
    try:
        assert not any(isinstance(part, GroupingJob) for part in runtime.started)
    finally:
        runtime.stop()
    assert Settings().incidents.auto_group is False
