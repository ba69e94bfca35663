"""A stop ends a running detection tick at its next page of searches, and the next start
searches on from each rule's watermark: no window skipped, none searched twice, no event
matched twice."""

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

# Pages of 2 events: each rule's window is 20 pages, so a tick is 20 batches of searches.
CONFIG = DetectionConfig(ingest_delay=timedelta(seconds=5), jitter_seconds=0, page_size=2)
RULES = 80
EVENTS = 40
SEARCH_S = 0.3  # per batch of searches while the store is slow: a tick of 6 s or more
STOP_WITHIN_S = 2.0


class SlowStore(SQLiteStore):
    """A store whose batches of searches take SEARCH_S each while ``slow`` (a loaded
    machine)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.slow = True
        self.searching = threading.Event()  # set once a tick is searching

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        if self.slow:
            self.searching.set()
            time.sleep(SEARCH_S)
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


def test_a_stop_ends_a_tick_mid_window_and_the_next_start_resumes_without_gap_or_repeat(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = SlowStore(tmp_path / "canhgac.db")
    try:
        rules = _rules(kit)
        store.write_events(
            [kit.event(f"e{n}", event__original=f"slow-stop line {n}") for n in range(EVENTS)]
        )
        anchor = clock()
        clock.advance(timedelta(minutes=1))  # the first tick's window holds the events
        first = DetectionScheduler(DetectionEngine(store, CONFIG, clock=clock), rules, clock=clock)
        first.collecting_since = anchor  # as `canhgac run` does: every rule anchored at start
        first.start()
        assert store.searching.wait(30)
        time.sleep(1.0)  # mid-search: a stop now must not wait for the whole tick
        assert first.ticks_running == 1
        asked = time.monotonic()
        first.stop()
        took = time.monotonic() - asked
        assert first.ticks_running == 0

        assert took < STOP_WITHIN_S, f"stop took {took:.1f} s"
        # The stop came mid-window: no window completed, every watermark stayed at the anchor.
        assert store.list_rule_runs() == []
        anchored = store.get_rule_states([rule.id for rule in rules])
        assert len({state.watermark for state in anchored.values()}) == 1
        assert all(state.last_error is None for state in anchored.values())

        store.slow = False
        clock.advance(timedelta(minutes=2))
        second = DetectionScheduler(DetectionEngine(store, CONFIG, clock=clock), rules, clock=clock)
        reports = second.run_all_once()

        assert all(report.error is None for report in reports)
        states = store.get_rule_states([rule.id for rule in rules])
        for rule in rules:
            runs = sorted(store.list_rule_runs(rule.id), key=lambda run: run.window_start)
            assert runs, f"rule {rule.id} never searched"
            ends = [run.window_end for run in runs[:-1]]
            assert ends == [run.window_start for run in runs[1:]], f"gap or overlap: {runs}"
            assert runs[-1].window_end == states[rule.id].watermark
            # The events were ingested at the start: each matched once, in one window.
            assert sum(run.matches for run in runs) == EVENTS, runs
        first_windows = {min(r.window_start for r in store.list_rule_runs(x.id)) for x in rules}
        assert len(first_windows) == 1  # every rule starts where the first start anchored it
    finally:
        store.close()
