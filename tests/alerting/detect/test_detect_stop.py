"""A stop ends a running detection tick between slices of its rules, and the next start
searches on from each rule's watermark: no window skipped, none searched twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.scheduler import DetectionScheduler
from canhgac.config import DetectionConfig
from canhgac.errors import StoreError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.store import SQLiteStore

CONFIG = DetectionConfig(ingest_delay=timedelta(seconds=5), jitter_seconds=0)
RULES = 80
SEARCH_S = 0.15  # per rule searched while the store is slow: a tick of 12 s, unsliced
STOP_WITHIN_S = 5.0


class SlowStore(SQLiteStore):
    """A store whose searches take SEARCH_S each while ``slow`` (a loaded machine)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.slow = True
        self.searching = threading.Event()  # set once a tick is searching

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        if self.slow:
            self.searching.set()
            time.sleep(SEARCH_S * len(searches))
        return super().search_events_batch(searches)


def _rules(kit: Any) -> list[Any]:
    detection = "selection:\n  event.original|contains: slow-stop\ncondition: selection"
    texts = {
        f"rule_{n:03d}.yml": kit.rule_text(
            detection, rule_id=f"5b3f1b0e-0000-4000-8000-{n:012d}"
        ).replace("title: Test rule", f"title: Test rule {n}")
        for n in range(RULES)
    }
    compiled = kit.compile_dir(kit.write_rules(texts))
    assert compiled.errors == [] and len(compiled.rules) == RULES
    return list(compiled.rules)


def test_a_stop_ends_a_tick_between_rules_and_the_next_start_resumes_without_gap_or_repeat(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = SlowStore(tmp_path / "canhgac.db")
    try:
        rules = _rules(kit)
        store.write_events([kit.event("e1", event__original="a slow-stop line")])
        first = DetectionScheduler(DetectionEngine(store, CONFIG, clock=clock), rules, clock=clock)
        first.collecting_since = clock()  # as `canhgac run` does: every rule anchored at start
        first.start()
        assert store.searching.wait(30)
        time.sleep(1.0)  # mid-search: a stop now must not wait for the whole tick
        asked = time.monotonic()
        first.stop()
        took = time.monotonic() - asked

        ran = {s.rule_id for s in first.status() if s.runs}
        assert took < STOP_WITHIN_S, f"stop took {took:.1f} s"
        assert 0 < len(ran) < RULES  # the stop came mid-tick, after some rules, before others
        assert {run.rule_id for run in store.list_rule_runs()} == ran

        store.slow = False
        clock.advance(timedelta(minutes=2))
        second = DetectionScheduler(DetectionEngine(store, CONFIG, clock=clock), rules, clock=clock)
        reports = second.run_all_once()

        assert all(report.error is None for report in reports)
        anchor = {rule.id: store.get_rule_states([rule.id])[rule.id] for rule in rules}
        for rule in rules:
            runs = sorted(store.list_rule_runs(rule.id), key=lambda run: run.window_start)
            assert runs, f"rule {rule.id} never searched"
            ends = [run.window_end for run in runs[:-1]]
            assert ends == [run.window_start for run in runs[1:]], f"gap or overlap: {runs}"
            assert runs[-1].window_end == anchor[rule.id].watermark
            # The event was ingested at the start: exactly one window of each rule holds it.
            assert sum(run.matches for run in runs) == 1, runs
        first_windows = {min(r.window_start for r in store.list_rule_runs(x.id)) for x in rules}
        assert len(first_windows) == 1  # every rule starts where the first start anchored it
    finally:
        store.close()
