"""A rule a person switches off stops at that moment and, switched back on, resumes at that
moment (alerting.detect.run.window_plan.switch_bounds): every event ingested while it ran is
searched once, those ingested while it was off never, and the next tick obeys a switch without a
restart of the scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.scheduler import DetectionScheduler
from alerting.detect.run.window_plan import switch_bounds
from canhgac.config import DetectionConfig
from canhgac.models import AlertFilter, RuleSwitch
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

BOB_RULE = "sel:\n  user.name: bob\ncondition: sel"
T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _config() -> DetectionConfig:
    return DetectionConfig(
        ingest_delay=timedelta(seconds=5),
        default_interval=timedelta(minutes=1),
        max_window=timedelta(minutes=10),
        max_lookback=timedelta(hours=24),
    )


@pytest.fixture
def timed(tmp_path: Path, clock: Any) -> Iterator[SQLiteStore]:
    """A store stamping ``event.ingested`` with the test's clock, so every event's place
    relative to the switches is exact."""
    clock.now = T0
    store = SQLiteStore(tmp_path / "timed.db", now=lambda: to_iso(clock.now))
    yield store
    store.close()


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _switch(rule_id: str, enabled: bool, seconds: int) -> RuleSwitch:
    return RuleSwitch(
        rule_id=rule_id,
        enabled=enabled,
        reason="bão cảnh báo giả" if not enabled else "đã sửa",
        actor="lan",
        changed_at=to_iso(_at(seconds)),
    )


def _write_bob(store: SQLiteStore, kit: Any, clock: Any, event_id: str, seconds: int) -> None:
    clock.now = _at(seconds)
    store.write_events([kit.event(event_id, user__name="bob")])


def _alerted(store: SQLiteStore) -> list[str]:
    alerts = store.list_alerts(AlertFilter(limit=1000))
    return sorted(event_id for alert in alerts for event_id in alert.event_ids)


def test_switched_off_it_finishes_up_to_that_moment_and_resumes_when_switched_on(
    timed: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    engine = DetectionEngine(timed, _config(), clock=clock)
    _write_bob(timed, kit, clock, "before", 0)
    clock.now = _at(10)
    assert engine.run_rule(rule).alerts_created == 1  # covers up to T0+10s (its settled time)

    _write_bob(timed, kit, clock, "just-before-off", 11)
    timed.save_rule_switch(_switch(rule.id, False, 12))
    _write_bob(timed, kit, clock, "while-off-1", 13)
    clock.now = _at(30)
    off = engine.run_rule(rule)
    # The window up to the switch is finished (its event was ingested while the rule ran).
    assert (off.disabled, off.windows, off.alerts_created) == (True, 1, 1)
    assert off.watermark == to_iso(_at(12))
    clock.now = _at(45)
    idle = engine.run_rule(rule)
    assert (idle.disabled, idle.windows, idle.matches) == (True, 0, 0)

    _write_bob(timed, kit, clock, "while-off-2", 46)
    timed.save_rule_switch(_switch(rule.id, True, 50))
    _write_bob(timed, kit, clock, "after-on", 55)
    clock.now = _at(70)
    back = engine.run_rule(rule)

    assert (back.disabled, back.windows, back.alerts_created) == (False, 1, 1)
    assert _alerted(timed) == ["after-on", "before", "just-before-off"]
    windows = [(r.window_start, r.window_end) for r in timed.list_rule_runs(rule.id)]
    assert windows == [
        (to_iso(_at(10 - 60)), to_iso(_at(10))),
        (to_iso(_at(10)), to_iso(_at(12))),  # ends where it was switched off
        (to_iso(_at(50)), to_iso(_at(70))),  # starts where it was switched on: no overlap
    ]


def test_a_rule_switched_off_before_it_ever_ran_searches_nothing(
    timed: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    timed.save_rule_switch(_switch(rule.id, False, 0))
    _write_bob(timed, kit, clock, "while-off", 1)
    clock.now = _at(30)

    report = DetectionEngine(timed, _config(), clock=clock).run_rule(rule)

    assert (report.disabled, report.windows, report.matches) == (True, 0, 0)
    assert timed.get_rule_state(rule.id) is None
    assert _alerted(timed) == []


def test_switched_on_within_its_own_window_it_loses_nothing(
    timed: SQLiteStore, kit: Any, clock: Any
) -> None:
    # Switched off and on again before the rule's watermark passed the moment it was switched
    # on: it resumes at its watermark, so nothing is skipped and nothing repeated.
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    engine = DetectionEngine(timed, _config(), clock=clock)
    clock.now = _at(10)
    engine.run_rule(rule)  # watermark T0+10
    timed.save_rule_switch(_switch(rule.id, False, 3))
    timed.save_rule_switch(_switch(rule.id, True, 4))
    _write_bob(timed, kit, clock, "later", 20)
    clock.now = _at(40)

    report = engine.run_rule(rule)

    assert (report.windows, report.alerts_created) == (1, 1)
    [first, second] = timed.list_rule_runs(rule.id)
    assert first.window_end == second.window_start == to_iso(_at(10))


def test_the_scheduler_obeys_a_switch_at_its_next_tick_without_a_restart(
    timed: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    scheduler = DetectionScheduler(DetectionEngine(timed, _config(), clock=clock), [rule])
    clock.now = _at(10)
    scheduler.run_all_once()  # covers up to T0+10s
    timed.save_rule_switch(_switch(rule.id, False, 5))
    _write_bob(timed, kit, clock, "while-off", 20)
    clock.now = _at(40)

    [report] = scheduler.run_all_once()

    [status] = scheduler.status()
    assert report.disabled and status.disabled and status.runs == 1
    assert _alerted(timed) == []
    timed.save_rule_switch(_switch(rule.id, True, 41))
    _write_bob(timed, kit, clock, "after-on", 45)
    clock.now = _at(60)
    scheduler.run_all_once()
    [status] = scheduler.status()
    assert not status.disabled and status.runs == 2
    assert _alerted(timed) == ["after-on"]


def test_switch_bounds() -> None:
    watermark = _at(0)
    assert switch_bounds(watermark, None) == (watermark, None)
    assert switch_bounds(None, None) == (None, None)
    assert switch_bounds(watermark, _switch("r", False, 9)) == (watermark, _at(9))
    assert switch_bounds(watermark, _switch("r", True, 9)) == (_at(9), None)
    assert switch_bounds(watermark, _switch("r", True, -9)) == (watermark, None)
    assert switch_bounds(None, _switch("r", True, 9)) == (None, None)
