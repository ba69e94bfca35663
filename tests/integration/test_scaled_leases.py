"""Rule and dispatcher leases on the real Elasticsearch node: one holder, renewal, expiry,
exactly one winner of a race."""

from __future__ import annotations

import os
import threading

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.store.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.integration


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_one_holder_renewal_release_and_expiry(es_store: ElasticsearchStore) -> None:
    clock = FakeTime()
    config = ElasticsearchStoreConfig(
        hosts=[os.environ["CANHGAC_TEST_ES_URL"]],  # es_store failed already if unset
        index_prefix=es_store.names.prefix,
    )
    store = ElasticsearchStore(config, clock=clock)
    try:
        assert store.acquire_lease("rule:a", "det-1", 60)
        assert not store.acquire_lease("rule:a", "det-2", 60)
        clock.now += 59
        assert store.acquire_lease("rule:a", "det-1", 60)  # renewed until now + 60
        clock.now += 59
        assert not store.acquire_lease("rule:a", "det-2", 60)
        clock.now += 2  # expired
        assert store.acquire_lease("rule:a", "det-2", 60)
        store.release_lease("rule:a", "det-1")  # no longer the holder: nothing happens
        assert not store.acquire_lease("rule:a", "det-1", 60)
        store.release_lease("rule:a", "det-2")
        assert store.acquire_lease("rule:a", "det-1", 60)
        assert store.acquire_lease("rule:b", "det-2", 60)  # leases are independent
    finally:
        store.close()


def test_a_remembered_version_never_outlives_a_change_elsewhere(
    es_store: ElasticsearchStore,
) -> None:
    # Each store remembers the lease version it wrote, to skip reads; another detector's
    # store changing the lease must make that memory useless, not dangerous.
    clock = FakeTime()
    config = ElasticsearchStoreConfig(
        hosts=[os.environ["CANHGAC_TEST_ES_URL"]], index_prefix=es_store.names.prefix
    )
    first, second = ElasticsearchStore(config, clock=clock), ElasticsearchStore(config, clock=clock)
    try:
        assert first.acquire_lease("rule:v", "det-1", 60)
        clock.now += 61  # expired: taken over from the other store
        assert second.acquire_lease("rule:v", "det-2", 60)
        assert not first.acquire_lease("rule:v", "det-1", 60)  # no renewal of a lost lease
        first.release_lease("rule:v", "det-1")  # not the holder: nothing happens
        assert not first.acquire_lease("rule:v", "det-3", 60)
        # The same owner renewing through another store: the release still finds it.
        assert second.acquire_lease("rule:w", "det-2", 60)
        assert first.acquire_lease("rule:w", "det-2", 60)
        second.release_lease("rule:w", "det-2")
        assert first.acquire_lease("rule:w", "det-4", 60)
    finally:
        first.close()
        second.close()


def test_racing_detectors_get_exactly_one_winner(es_store: ElasticsearchStore) -> None:
    for round_ in range(5):
        name = f"rule:race-{round_}"
        wins: list[str] = []
        barrier = threading.Barrier(8)

        def race(
            owner: str,
            name: str = name,
            wins: list[str] = wins,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait()
            if es_store.acquire_lease(name, owner, 60):
                wins.append(owner)

        threads = [threading.Thread(target=race, args=(f"det-{n}",)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, (name, wins)
