"""The SQLite store's settled time (canhgac.store.sqlite.ingest_clock): every event stamped
before it is committed, every event written after it is stamped no earlier, across processes
sharing the file and whatever their clocks do."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import now_iso

EPOCH = "2000-01-01T00:00:00.000000Z"
FAR_FUTURE = "2999-01-01T00:00:00.000000Z"


def _event(event_id: str) -> Event:
    return Event(
        event_id,
        {
            "@timestamp": "2026-12-04T10:00:00.000000Z",
            "event.dataset": "test",
            "event.original": f"dòng {event_id}",
        },
    )


def _ingested(store: SQLiteStore, event_id: str) -> str:
    [event] = store.get_events([event_id])
    return str(event.fields["event.ingested"])


class _Clock:
    def __init__(self, at: str) -> None:
        self.at = at

    def __call__(self) -> str:
        return self.at


def test_settled_is_after_every_stamp_and_a_clock_stepping_back_stamps_after_it(
    tmp_path: Path,
) -> None:
    clock = _Clock("2026-12-04T10:00:00.000000Z")
    store = SQLiteStore(tmp_path / "cg.db", now=clock)
    try:
        store.write_events([_event("a")])
        clock.at = "2026-12-04T10:00:01.000000Z"
        settled = store.settled_before()
        assert _ingested(store, "a") < settled == clock.at
        clock.at = "2026-12-04T09:00:00.000000Z"  # NTP steps the clock back an hour
        store.write_events([_event("b")])
        assert _ingested(store, "b") >= settled  # in the next window, not a past one
        assert store.settled_before() >= settled  # never goes back either
    finally:
        store.close()


def test_another_process_with_a_clock_behind_stamps_after_the_settled_time(
    tmp_path: Path,
) -> None:
    # Two store objects on one file are two processes: they share no memory, only the file.
    detector = SQLiteStore(tmp_path / "cg.db", now=_Clock("2026-12-04T10:00:05.000000Z"))
    writer = SQLiteStore(tmp_path / "cg.db", now=_Clock("2026-12-04T10:00:00.000000Z"))
    try:
        settled = detector.settled_before()
        writer.write_events([_event("late")])
        assert _ingested(writer, "late") == settled
        # Half-open windows: [.., settled) left it out, the next one starts at settled.
        assert detector.search_events("1", EPOCH, settled).events == []
        [found] = detector.search_events("1", settled, FAR_FUTURE).events
        assert found.id == "late"
    finally:
        detector.close()
        writer.close()


def _write_batches(path: str, prefix: str, batches: int, size: int) -> None:
    store = SQLiteStore(path)
    try:
        for batch in range(batches):
            store.write_events([_event(f"{prefix}-{batch}-{i}") for i in range(size)])
    finally:
        store.close()


def test_no_event_is_committed_into_a_window_already_read(tmp_path: Path) -> None:
    # Two writer processes store batches while a detector reads consecutive windows
    # [settled_n-1, settled_n), each as soon as it is settled: every event must be read in
    # exactly one window. An end taken from the clock alone (no write lock) misses the
    # batches stamped before it and committed after the window was read.
    path = str(tmp_path / "cg.db")
    detector = SQLiteStore(path)
    spawn = multiprocessing.get_context("spawn")
    writers = [
        spawn.Process(target=_write_batches, args=(path, name, 60, 400)) for name in ("w1", "w2")
    ]
    seen: Counter[str] = Counter()
    start = now_iso()

    def read_window(end: str) -> None:
        after = None
        while True:
            page = detector.search_events("1", start, end, after=after, limit=5000)
            seen.update(event.id for event in page.events)
            if page.after is None:
                return
            after = page.after

    try:
        for writer in writers:
            writer.start()
        windows = 0
        while any(writer.is_alive() for writer in writers) or windows == 0:
            end = detector.settled_before()
            read_window(end)
            start, windows = end, windows + 1
        read_window(detector.settled_before())
        for writer in writers:
            writer.join()
            assert writer.exitcode == 0
    finally:
        detector.close()
    assert windows > 5  # the windows really interleaved with the writes
    assert len(seen) == 2 * 60 * 400 and set(seen.values()) == {1}
