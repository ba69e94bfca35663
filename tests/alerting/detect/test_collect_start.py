"""New rules start where this instance's sources started, even across a kill before any rule
ran (alerting.detect.run.collect_start), against a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from alerting.detect.run import collect_start
from alerting.detect.run.engine import DetectionEngine
from canhgac.config import DetectionConfig
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore

BOB_RULE = "sel:\n  user.name: bob\ncondition: sel"
CONFIG = DetectionConfig(ingest_delay=timedelta(seconds=5), default_interval=timedelta(minutes=1))


def _bob_alerts(store: SQLiteStore) -> list[str]:
    return sorted(a.event_ids[0] for a in store.list_alerts(AlertFilter(limit=100)))


def test_a_hold_is_kept_until_released(tmp_path: Path, clock: Any) -> None:
    store = SQLiteStore(tmp_path / "hold.db", now=clock.iso)
    try:
        first = clock.now
        assert collect_start.hold(store, first) == first
        # A restart before the rules were anchored: the older events still wait.
        assert collect_start.hold(store, first + timedelta(minutes=5)) == first
        collect_start.release(store)
        later = first + timedelta(minutes=10)
        assert collect_start.hold(store, later) == later
    finally:
        store.close()


def test_events_of_a_process_killed_before_any_rule_ran_are_searched_after_restart(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    path = tmp_path / "killed.db"
    first = SQLiteStore(path, now=clock.iso)
    collect_start.hold(first, clock.now - timedelta(seconds=1))  # before its sources start
    first.write_events([kit.event(f"a{i}", user__name="bob") for i in range(2)])
    first.close()  # killed while loading its rules: no rule ever ran

    clock.advance(timedelta(minutes=5))
    second = SQLiteStore(path, now=clock.iso)
    try:
        since = collect_start.hold(second, clock.now)
        engine = DetectionEngine(second, CONFIG, clock=clock)
        assert engine.anchor([rule], since)
        collect_start.release(second)
        engine.run_rule(rule)
        assert _bob_alerts(second) == ["a0", "a1"]
    finally:
        second.close()


def test_without_the_hold_those_events_are_never_searched(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    # The case the hold exists for: a new rule starts one interval before its first run.
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    store = SQLiteStore(tmp_path / "unheld.db", now=clock.iso)
    try:
        store.write_events([kit.event(f"a{i}", user__name="bob") for i in range(2)])
        clock.advance(timedelta(minutes=5))
        DetectionEngine(store, CONFIG, clock=clock).run_rule(rule)
        assert _bob_alerts(store) == []
    finally:
        store.close()


def test_a_rule_added_after_the_release_starts_at_its_first_run(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    store = SQLiteStore(tmp_path / "added.db", now=clock.iso)
    try:
        collect_start.hold(store, clock.now - timedelta(seconds=1))
        collect_start.release(store)
        store.write_events([kit.event("old", user__name="bob")])
        clock.advance(timedelta(minutes=5))
        since = collect_start.hold(store, clock.now)  # the next start: a new hold
        engine = DetectionEngine(store, CONFIG, clock=clock)
        assert engine.anchor([rule], since)
        engine.run_rule(rule)
        assert _bob_alerts(store) == []  # history is the backtest's job, not a new rule's
        runs = store.list_rule_runs(rule.id)
        assert runs[0].window_start < runs[0].window_end
    finally:
        store.close()
