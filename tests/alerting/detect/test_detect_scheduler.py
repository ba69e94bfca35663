"""The scheduler: one job per rule, failures contained, clean start and stop; and the CLI's
entry points wired end to end."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from alerting.detect.detector import build_scheduler, load_detection
from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.scheduler import DetectionScheduler
from canhgac.config import AlertingConfig, DetectionConfig
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore

CONFIG = DetectionConfig(ingest_delay=timedelta(seconds=5), jitter_seconds=0)


def _rules(kit: Any) -> list[Any]:
    compiled = kit.compile_dir(kit.fixtures / "rules")
    assert compiled.errors == []
    return compiled.rules


def test_run_all_once_runs_every_rule_and_contains_a_failing_one(
    store: SQLiteStore, kit: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    good, other = _rules(kit)
    broken_id = "5b3f1b0e-0000-4000-8000-0000000000f1"
    sigma_rule = copy.deepcopy(good.source.rule)
    sigma_rule.id = uuid.UUID(broken_id)
    # A query the store rejects at run time, as a store outage or a backend bug would.
    broken = dataclasses.replace(
        good,
        source=dataclasses.replace(good.source, rule=sigma_rule),
        query="no_such_column = 1",
    )
    store.write_events(
        [kit.event("e1", event__dataset="system.auth", event__original="Failed password for x")]
    )
    clock.advance(timedelta(seconds=10))
    scheduler = DetectionScheduler(
        DetectionEngine(store, CONFIG, clock=clock), [broken, good, other], clock=clock
    )

    reports = scheduler.run_all_once()

    by_rule = {report.rule_id: report for report in reports}
    assert by_rule[broken_id].error is not None
    assert "no such column" in by_rule[broken_id].error
    assert by_rule[good.id].error is None and by_rule[good.id].matches == 1
    assert by_rule[other.id].error is None
    status = {s.rule_id: s for s in scheduler.status()}
    assert (status[broken_id].runs, status[broken_id].failures) == (1, 1)
    assert status[broken_id].last_error == by_rule[broken_id].error
    assert status[good.id].last_error is None and status[good.id].last_matches == 1
    # Its window ended at the store's settled time, now: nothing is being written.
    assert status[good.id].delay_s == pytest.approx(0.0)
    assert any(f"rule {broken_id}" in message for message in caplog.messages)


def test_the_scheduler_runs_jobs_in_the_background_and_stops_cleanly(
    store: SQLiteStore, kit: Any
) -> None:
    before = set(threading.enumerate())
    scheduler = build_scheduler(_rules(kit), store, CONFIG, AlertingConfig())
    scheduler.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            scheduler.start()
        deadline = time.monotonic() + 10
        while any(s.runs == 0 for s in scheduler.status()) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert not scheduler.running
    assert all(s.runs >= 1 and s.last_error is None for s in scheduler.status())
    assert len(store.list_rule_runs()) >= 2
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []


def test_the_cli_entry_points_load_compile_and_alert_end_to_end(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    config = DetectionConfig(
        rules_dir=str(kit.fixtures / "rules"),
        pipeline=[str(kit.pipeline_path)],
        jitter_seconds=0,
    )
    compiled = load_detection(config, store.query_language)
    assert compiled.errors == [] and compiled.warnings == []
    store.write_events(
        [
            kit.event(
                "win-1",
                event__dataset="windows.security",
                event__code="4624",
                source__ip="10.0.0.7",
                winlog__event_data__TargetUserName="nguyễn",
            ),
            kit.event(
                "ssh-1", event__dataset="system.auth", event__original="sshd: Failed password"
            ),
        ]
    )
    clock.advance(timedelta(seconds=10))
    alerting = AlertingConfig(min_severity="high")

    scheduler = build_scheduler(compiled, store, config, alerting, clock=clock)
    reports = scheduler.run_all_once()

    assert sorted(report.matches for report in reports) == [1, 1]
    alerts = {a.rule_title: a for a in store.list_alerts(AlertFilter())}
    logon = alerts["Windows logon by a watched account"]
    assert logon.group_key == {"source.ip": "10.0.0.7"}
    assert logon.snapshot["source.ip"] == "10.0.0.7"
    # Routing honours min_severity: the high alert goes to the console, the medium one not.
    assert [n.channel for n in store.list_notifications(logon.id)] == ["console"]
    assert store.list_notifications(alerts["SSH failed password"].id) == []


def test_ticks_start_within_the_jitter_then_run_exactly_one_interval_apart(
    store: SQLiteStore, kit: Any
) -> None:
    # APScheduler's own jitter is added to every fire time and accumulates: with it these
    # 0.3 s ticks would come 0.3-1.3 s apart (0.8 s on average), every alert that much later.
    rules = [dataclasses.replace(r, interval=timedelta(seconds=0.3)) for r in _rules(kit)]
    scheduler = DetectionScheduler(DetectionEngine(store, CONFIG), rules, jitter_seconds=1)
    fired: list[float] = []
    done = threading.Event()

    def record(seconds: float) -> None:
        fired.append(time.monotonic())
        if len(fired) == 8:
            done.set()

    scheduler.run_interval = record  # type: ignore[method-assign]
    started = time.monotonic()
    scheduler.start()
    try:
        assert done.wait(10)
    finally:
        scheduler.stop()
    assert fired[0] - started < 1.2
    gaps = [b - a for a, b in zip(fired, fired[1:], strict=False)]
    assert all(0.2 < gap < 0.4 for gap in gaps), gaps
