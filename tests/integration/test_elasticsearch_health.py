"""Data health on the real Elasticsearch node gives the SQLite store's numbers, and the
health job raises the same alerts on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.health.monitor import HealthMonitor
from canhgac.config import ElasticsearchStoreConfig, HealthConfig
from canhgac.health.model import SourceKey
from canhgac.models import AlertFilter
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso
from tests.integration.conftest import required_env
from tests.support.health_scenario import HOUR, MINUTE, Clock, H, load

pytestmark = pytest.mark.integration
DB = SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth")


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SQLiteStore, ElasticsearchStore, Clock]]:
    clock = Clock(H - 3 * HOUR)
    es = ElasticsearchStore(
        ElasticsearchStoreConfig(
            hosts=[required_env("CANHGAC_TEST_ES_URL")],
            index_prefix=f"cg-it-{uuid.uuid4().hex[:10]}",
        ),
        now=clock.iso,
    )
    sqlite = SQLiteStore(
        Path(tmp_path_factory.mktemp("h")) / "c.db", synchronous="OFF", now=clock.iso
    )
    try:
        for store in (sqlite, es):
            clock.now = H - 3 * HOUR
            load(store, clock)
        clock.now = H + HOUR + 3 * MINUTE
        yield sqlite, es, clock
    finally:
        es.delete_indices()
        es.close()
        sqlite.close()


def test_both_stores_compute_the_same_hours(
    stores: tuple[SQLiteStore, ElasticsearchStore, Clock],
) -> None:
    sqlite, es, _ = stores
    for hour in (H - HOUR, H):
        start, end = to_iso(hour), to_iso(hour + HOUR)
        expected = sqlite.health().compute(start, end, computed_at="x")
        assert es.health().compute(start, end, computed_at="x") == expected
        assert len(expected) >= 4


def test_both_stores_answer_the_same_queries(
    stores: tuple[SQLiteStore, ElasticsearchStore, Clock],
) -> None:
    sqlite, es, _ = stores
    start, end = to_iso(H), to_iso(H + HOUR)
    assert es.health().last_seen(to_iso(H - HOUR)) == sqlite.health().last_seen(to_iso(H - HOUR))
    assert es.health().not_understood_samples(
        DB, start, end, limit=5
    ) == sqlite.health().not_understood_samples(DB, start, end, limit=5)
    assert es.health().dead_letter_samples(
        "syslog-tcp", start, end
    ) == sqlite.health().dead_letter_samples("syslog-tcp", start, end)


def test_stored_series_replace_and_prune(
    stores: tuple[SQLiteStore, ElasticsearchStore, Clock],
) -> None:
    _, es, _ = stores
    health = es.health()
    start, end = to_iso(H), to_iso(H + HOUR)
    buckets = health.compute(start, end, computed_at="a")
    health.save_hour(start, buckets)
    health.save_hour(start, buckets[:2])
    assert health.buckets(start, end) == buckets[:2]
    assert health.computed_hours(start, end) == {start: "a"}
    assert health.buckets(start, end, buckets[1].key) == [buckets[1]]
    assert health.prune(end) == 2
    assert health.buckets(start, end) == []
    health.probe_write()


def test_the_health_job_raises_the_same_alerts(
    stores: tuple[SQLiteStore, ElasticsearchStore, Clock],
) -> None:
    sqlite, es, clock = stores
    ids = []
    for store in (sqlite, es):
        run = HealthMonitor(store, HealthConfig(), clock=clock).run_once()
        assert run is not None
        ids.append(sorted((a.rule_id, a.id) for a in store.list_alerts(AlertFilter(limit=100))))
    assert ids[0] == ids[1]
    assert len(ids[0]) == 5
