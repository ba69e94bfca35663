"""A detection round runs with automatic garbage collection paused (alerting/detect/run/
gc_pause.py), and the last round ending resumes it as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.gc_pause import collector_paused
from canhgac.config import DetectionConfig
from canhgac.errors import StoreError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.store import SQLiteStore


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_round_pauses_collection_and_resumes_it() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_rounds_resume_collection_when_the_last_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first_round() -> None:
        with collector_paused():
            first_in.set()
            assert second_done.wait(10)
            seen.append(gc.isenabled())  # the second round ended, this one did not

    thread = threading.Thread(target=first_round)
    thread.start()
    assert first_in.wait(10)
    with collector_paused():
        pass
    second_done.set()
    thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_failing_round_resumes_collection() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the round failed")
    assert gc.isenabled()


class CollectorRecordingStore(SQLiteStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.collecting: list[bool] = []

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        self.collecting.append(gc.isenabled())
        return super().search_events_batch(searches)


def test_the_engine_searches_with_collection_paused_and_resumes_it(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = CollectorRecordingStore(tmp_path / "canhgac.db")
    try:
        rule = kit.compile_text(kit.rule_text("sel:\n  user.name: bob\ncondition: sel"))
        store.write_events([kit.event("e1", user__name="bob")])
        clock.advance(timedelta(minutes=2))
        config = DetectionConfig(ingest_delay=timedelta(0), jitter_seconds=0)
        [report] = DetectionEngine(store, config, clock=clock).run_rules([rule])
    finally:
        store.close()
    assert report.error is None
    assert store.collecting and not any(store.collecting)
    assert gc.isenabled()
