"""Fixtures for source tests: a real pipeline (MemoryTransport -> Indexer -> SQLiteStore on
tmp_path). Tests run with --import-mode=importlib, so helpers are shared as fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from canhgac.models import DeadLetter, Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.transport.memory import MemoryTransport


class Pipeline:
    def __init__(self, tmp_path: Path, capacity: int = 64) -> None:
        self.store = SQLiteStore(tmp_path / "canhgac.db")
        self.transport = MemoryTransport(capacity)
        self.indexer = Indexer(self.transport, self.store, batch_wait=0.01, receive_timeout=0.02)
        self._running = False

    def index(self) -> None:
        """Store and acknowledge everything queued (no indexer thread needed)."""
        while self.transport.pending():
            self.indexer.run_once(timeout=0)

    def start_indexer(self) -> None:
        self.indexer.start()
        self._running = True

    def events(self) -> list[Event]:
        return self.store.search_events(None, "0", "9", limit=1_000_000).events

    def originals(self) -> list[str]:
        return sorted(str(e.fields["event.original"]) for e in self.events())

    def dead_letters(self) -> list[DeadLetter]:
        return self.store.list_dead_letters(limit=1_000_000)

    def records(self) -> int:
        return self.store.count_events() + self.store.count_dead_letters()

    def close(self) -> None:
        if self._running:
            self.indexer.stop()
        self.transport.close()
        self.store.close()


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(tmp_path)
    yield p
    p.close()


@pytest.fixture
def tight_pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    """A transport holding a single batch: senders block as soon as it is taken."""
    p = Pipeline(tmp_path, capacity=1)
    yield p
    p.close()


def _wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """Poll a condition (10 s at most): for threads whose progress a test cannot step."""
    return _wait_until
