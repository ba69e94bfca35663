"""Detector leases: two detectors on one store never run the same rule at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.lease import RuleLeases
from canhgac.config import DetectionConfig
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore

BOB_RULE = "sel:\n  user.name: bob\ncondition: sel"


def _engine(store: SQLiteStore, clock: Any, owner: str) -> DetectionEngine:
    config = DetectionConfig(ingest_delay=timedelta(seconds=5), max_window=timedelta(minutes=10))
    return DetectionEngine(store, config, clock=clock, leases=RuleLeases(store, 60, owner))


def test_a_rule_leased_by_another_detector_is_skipped_then_resumed_at_its_watermark(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    store.write_events([kit.event(f"e{i}", user__name="bob") for i in range(3)])
    clock.advance(timedelta(seconds=10))
    first, second = _engine(store, clock, "det-1"), _engine(store, clock, "det-2")

    assert store.acquire_lease(RuleLeases.name(rule.id), "det-1", 60)  # det-1 is mid-run
    skipped = second.run_rule(rule)
    assert skipped.leased_elsewhere and skipped.windows == 0
    assert store.list_rule_runs(rule.id) == [] and store.list_alerts(AlertFilter()) == []

    store.release_lease(RuleLeases.name(rule.id), "det-1")
    assert first.run_rule(rule).alerts_created == 3
    clock.advance(timedelta(minutes=1))
    report = second.run_rule(rule)  # the lease is free again: det-2 continues after det-1
    assert not report.leased_elsewhere and report.alerts_created == 0
    runs = store.list_rule_runs(rule.id)
    assert len(runs) == 2 and runs[0].window_end == runs[1].window_start


class _LosingStore(SQLiteStore):
    """Grants a lease once, then refuses renewals, as if the run outlived its ttl."""

    grants = 0

    def acquire_lease(self, name: str, owner: str, ttl: float) -> bool:
        self.grants += 1
        return self.grants == 1 and super().acquire_lease(name, owner, ttl)


def test_a_backfill_stops_at_the_window_where_the_lease_was_lost(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = _LosingStore(tmp_path / "cg.db")
    try:
        rule = kit.compile_text(kit.rule_text(BOB_RULE))
        engine = _engine(store, clock, "det-1")
        engine.run_rule(rule)
        clock.advance(timedelta(minutes=35))  # four windows of at most 10 minutes are due
        store.grants = 0
        report = engine.run_rule(rule)
        assert report.windows == 1
        state = store.get_rule_state(rule.id)
        assert state is not None and state.watermark == report.watermark
        assert len(store.list_rule_runs(rule.id)) == 2
    finally:
        store.close()


def test_racing_detectors_record_each_window_once(tmp_path: Path, kit: Any, clock: Any) -> None:
    stores = [SQLiteStore(tmp_path / "cg.db"), SQLiteStore(tmp_path / "cg.db")]
    try:
        rule = kit.compile_text(kit.rule_text(BOB_RULE))
        stores[0].write_events([kit.event(f"e{i}", user__name="bob") for i in range(5)])
        clock.advance(timedelta(seconds=10))
        engines = [_engine(s, clock, f"det-{n}") for n, s in enumerate(stores)]
        reports: list[Any] = []
        barrier = threading.Barrier(2)

        def run(engine: DetectionEngine) -> None:
            barrier.wait()
            reports.append(engine.run_rule(rule))

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.alerts_created for r in reports) == 5
        assert len(stores[0].list_alerts(AlertFilter(limit=100))) == 5
        # Either one ran and the other was leased out, or they ran one after the other
        # (the second finding nothing new): never two runs of the same window.
        starts = [run.window_start for run in stores[0].list_rule_runs(rule.id)]
        assert len(starts) == len(set(starts))
    finally:
        for store in stores:
            store.close()
