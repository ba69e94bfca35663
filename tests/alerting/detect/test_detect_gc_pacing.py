"""A detection round runs with the cyclic collector paced for it (alerting/detect/run/
gc_pacing.py), and every round ending puts the pace back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.gc_pacing import ROUND_THRESHOLD, round_pace
from canhgac.config import DetectionConfig
from canhgac.errors import StoreError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.store import SQLiteStore


@pytest.fixture(autouse=True)
def default_pace() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_a_round_collects_at_its_pace_and_puts_the_pace_back() -> None:
    with round_pace():
        assert gc.get_threshold() == (ROUND_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_rounds_put_the_pace_back_when_the_last_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first_round() -> None:
        with round_pace():
            first_in.set()
            assert second_done.wait(10)
            seen.append(gc.get_threshold())  # the second round ended, this one did not

    thread = threading.Thread(target=first_round)
    thread.start()
    assert first_in.wait(10)
    with round_pace():
        pass
    second_done.set()
    thread.join(10)
    assert seen == [(ROUND_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_collector_switched_off_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    with round_pace():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


class PaceRecordingStore(SQLiteStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.paces: list[int] = []

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        self.paces.append(gc.get_threshold()[0])
        return super().search_events_batch(searches)


def test_the_engine_searches_at_the_rounds_pace_and_restores_it(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = PaceRecordingStore(tmp_path / "canhgac.db")
    try:
        rule = kit.compile_text(kit.rule_text("sel:\n  user.name: bob\ncondition: sel"))
        store.write_events([kit.event("e1", user__name="bob")])
        clock.advance(timedelta(minutes=2))
        config = DetectionConfig(ingest_delay=timedelta(0), jitter_seconds=0)
        [report] = DetectionEngine(store, config, clock=clock).run_rules([rule])
    finally:
        store.close()
    assert report.error is None
    assert store.paces and set(store.paces) == {ROUND_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)
