"""Leases in the SQLite store: one holder at a time, renewal, expiry, release."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from canhgac.store.sqlite.store import SQLiteStore


def test_one_holder_at_a_time_and_the_holder_renews(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        assert store.acquire_lease("rule:a", "det-1", 60)
        assert not store.acquire_lease("rule:a", "det-2", 60)
        assert store.acquire_lease("rule:a", "det-1", 60)  # renewal
        assert store.acquire_lease("rule:b", "det-2", 60)  # other leases are independent
        store.release_lease("rule:a", "det-2")  # not the holder: nothing happens
        assert not store.acquire_lease("rule:a", "det-2", 60)
        store.release_lease("rule:a", "det-1")
        assert store.acquire_lease("rule:a", "det-2", 60)
    finally:
        store.close()


def test_an_expired_lease_can_be_taken_over(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        assert store.acquire_lease("rule:a", "det-1", 0.05)
        time.sleep(0.1)
        assert store.acquire_lease("rule:a", "det-2", 60)
        assert not store.acquire_lease("rule:a", "det-1", 60)
    finally:
        store.close()


def test_racing_processes_sharing_the_file_get_exactly_one_winner(tmp_path: Path) -> None:
    # Two store objects = two detectors on one database file, racing from 8 threads each.
    stores = [SQLiteStore(tmp_path / "cg.db"), SQLiteStore(tmp_path / "cg.db")]
    wins: list[str] = []
    barrier = threading.Barrier(16)

    def race(owner: str, store: SQLiteStore) -> None:
        barrier.wait()
        if store.acquire_lease("rule:x", owner, 60):
            wins.append(owner)

    threads = [threading.Thread(target=race, args=(f"det-{n}", stores[n % 2])) for n in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()
    assert len(wins) == 1
