"""Detection that stops searching raises the health alert "Detection rules stopped searching"
(alerting.health.detection_lag), judged from the watermarks in a real SQLite store, with
the real scheduler, engine, health job and metrics wiring."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.scheduler import DetectionScheduler
from alerting.health.monitor import HealthMonitor
from alerting.health.rules import DETECTION_BEHIND
from canhgac.cli.health import build_monitor, watch_health
from canhgac.config import DetectionConfig, Settings
from canhgac.errors import StoreError
from canhgac.metrics import Metrics
from canhgac.models import Alert, AlertFilter, RuleSwitch
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

MINUTE = timedelta(minutes=1)
CONFIG = DetectionConfig(default_interval=MINUTE, jitter_seconds=0)


class _RefusingStore(SQLiteStore):
    """The real store, except that its searches fail while ``refusing`` (a full disk, a
    corrupt index): every tick runs and fails, no watermark moves."""

    refusing = False

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        if self.refusing:
            raise StoreError("database disk image is malformed")
        return super().search_events_batch(searches)


def _rules(kit: Any, count: int) -> list[Any]:
    return [
        kit.compile_text(
            kit.rule_text(
                f"sel:\n  user.name: user{n}\ncondition: sel",
                rule_id=f"5b3f1b0e-0000-4000-8000-{n:012d}",
            ),
            name=f"rule{n}.yml",
        )
        for n in range(count)
    ]


@pytest.fixture
def site(tmp_path: Path, kit: Any, clock: Any) -> Iterator[Callable[[], tuple[Any, ...]]]:
    """Builds (store, scheduler, health job, metrics) of one process on one database file;
    call it again for a restarted process. Every store is closed at the end."""
    stores: list[SQLiteStore] = []

    def build() -> tuple[Any, ...]:
        store = _RefusingStore(tmp_path / "cg.db", now=clock.iso)
        stores.append(store)
        scheduler = DetectionScheduler(
            DetectionEngine(store, CONFIG, clock=clock), _rules(kit, 3), clock=clock
        )
        monitor = build_monitor(Settings(), store, scheduler, clock=clock)
        metrics = Metrics()
        watch_health(metrics, monitor, clock=clock)
        return store, scheduler, monitor, metrics

    yield build
    for store in stores:
        store.close()


def _minute(clock: Any, scheduler: DetectionScheduler, monitor: HealthMonitor) -> None:
    clock.advance(MINUTE)
    scheduler.run_all_once()
    assert monitor.run_once() is not None


def _stall_alerts(store: SQLiteStore) -> list[Alert]:
    return store.list_alerts(AlertFilter(rule_id=DETECTION_BEHIND.id, limit=100))


def _gauge(metrics: Metrics, name: str) -> float:
    [line] = [row for row in metrics.render().splitlines() if row.startswith(name + " ")]
    return float(line.split()[1])


def test_rules_that_stop_searching_raise_one_alert_until_they_resume(site: Any, clock: Any) -> None:
    store, scheduler, monitor, metrics = site()
    _minute(clock, scheduler, monitor)
    store.refusing = True
    stalled_at = clock.now
    for _ in range(6):  # within interval (1 min) + detection_stall (5 min): patience
        _minute(clock, scheduler, monitor)
    assert _stall_alerts(store) == []
    assert metrics.status()[1]["detection_progress"] == "ok"
    # The metric grows while nothing runs, unlike the rules' own delay after their last run.
    assert _gauge(metrics, "canhgac_detection_behind_seconds") == 360.0

    for _ in range(3):
        _minute(clock, scheduler, monitor)

    [alert] = _stall_alerts(store)  # one alert for the stall, not one per rule or minute
    assert alert.first_seen == to_iso(stalled_at)
    assert alert.snapshot["health.rules_behind"] == 3
    # As first raised (7 min behind: more than 1 + 5), then kept up to date while it lasts.
    assert alert.snapshot["health.worst_behind_s"] == 420
    assert alert.last_seen == clock.iso()
    assert "3 quy tắc phát hiện đã dừng tìm kiếm" in alert.rule_description
    assert "3 detection rules stopped searching" in alert.rule_description
    assert alert.severity == "high"
    assert _gauge(metrics, "canhgac_detection_rules_stalled") == 3.0
    assert metrics.status() == ("degraded", metrics.status()[1])
    assert metrics.status()[1]["detection_progress"] == "3 rules stopped searching"

    store.refusing = False
    _minute(clock, scheduler, monitor)  # the backfill catches up in one tick
    assert len(_stall_alerts(store)) == 1
    assert _gauge(metrics, "canhgac_detection_rules_stalled") == 0.0
    assert _gauge(metrics, "canhgac_detection_behind_seconds") == 0.0
    assert metrics.status()[1]["detection_progress"] == "ok"


def test_a_rule_switched_off_is_not_a_stall_and_one_stalled_rule_is_named(
    site: Any, clock: Any
) -> None:
    store, scheduler, monitor, _ = site()
    _minute(clock, scheduler, monitor)
    [off, stuck, running] = scheduler.status()
    store.save_rule_switch(
        RuleSwitch(
            rule_id=off.rule_id,
            enabled=False,
            reason="bão cảnh báo giả",
            actor="lan",
            changed_at=clock.iso(),
        )
    )
    for _ in range(8):
        clock.advance(MINUTE)
        scheduler.run_rule(running.rule_id)  # the stuck one never gets its turn
        scheduler.run_rule(off.rule_id)
        monitor.run_once()
    [alert] = _stall_alerts(store)
    assert alert.snapshot["health.rules_behind"] == 1
    assert alert.snapshot["health.worst_rule_id"] == stuck.rule_id
    assert f"{stuck.title} (7 min)" in alert.rule_description


def test_after_a_restart_the_backfill_is_not_a_stall_unless_it_does_not_catch_up(
    site: Any, clock: Any
) -> None:
    first, scheduler, _, _ = site()
    clock.advance(MINUTE)
    scheduler.run_all_once()
    first.close()
    clock.advance(timedelta(hours=2))  # down for two hours: every watermark is old

    store, scheduler, monitor, metrics = site()
    assert monitor.run_once() is not None  # before the first tick of the new process
    assert _stall_alerts(store) == []
    assert _gauge(metrics, "canhgac_detection_behind_seconds") == 7200.0
    store.refusing = True  # and then it never catches up
    for _ in range(7):
        _minute(clock, scheduler, monitor)
    [alert] = _stall_alerts(store)
    assert alert.snapshot["health.worst_behind_s"] == 2 * 3600 + 7 * 60
