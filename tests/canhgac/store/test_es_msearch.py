"""How the Elasticsearch store answers a tick's batch of searches, against a scripted client:
the transient failures of single searches a real node rarely shows on demand."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.elasticsearch.bulk import Backoff
from canhgac.store.elasticsearch.store import ElasticsearchStore

EARLY, LATE = "2026-11-27T00:00:00.000000Z", "2026-11-28T00:00:00.000000Z"


def _hit(n: int) -> dict[str, Any]:
    ingested = f"2026-11-27T10:00:00.{n:06d}Z"
    source = {"@timestamp": ingested, "event.ingested": ingested, "canhgac.event_id": f"e{n}"}
    return {"_id": f"e{n}", "_source": source}


def _answer(*hits: int) -> dict[str, Any]:
    shards = {"total": 1, "successful": 1, "failed": 0}
    return {"status": 200, "_shards": shards, "hits": {"hits": [_hit(n) for n in hits]}}


def _error(status: int, kind: str) -> dict[str, Any]:
    return {"status": status, "error": {"type": kind, "reason": "scripted"}}


@pytest.fixture
def client() -> MagicMock:
    return MagicMock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def store(client: MagicMock, sleeps: list[float]) -> Iterator[ElasticsearchStore]:
    config = ElasticsearchStoreConfig(hosts=["http://127.0.0.1:9"], index_prefix="t")
    backoff = Backoff(attempts=3, initial=0.1)
    yield ElasticsearchStore(config, client=client, backoff=backoff, sleep=sleeps.append)


def _script(client: MagicMock, *rounds: list[dict[str, Any]]) -> list[int]:
    """Each msearch call answers the next round; returns the searches sent per call."""
    sent: list[int] = []
    answers = iter(rounds)

    def msearch(searches: list[Any]) -> SimpleNamespace:
        sent.append(len(searches) // 2)
        return SimpleNamespace(body={"responses": next(answers)})

    client.msearch.side_effect = msearch
    return sent


def _searches(count: int) -> list[EventSearch]:
    return [EventSearch({"term": {"n": k}}, EARLY, LATE, limit=10) for k in range(count)]


def test_only_the_searches_that_met_a_transient_failure_are_sent_again(
    store: ElasticsearchStore, client: MagicMock, sleeps: list[float]
) -> None:
    sent = _script(
        client,
        [_answer(1), _error(429, "es_rejected_execution_exception"), _answer(3)],
        [_answer(2)],
    )
    pages = store.search_events_batch(_searches(3))
    assert sent == [3, 1] and sleeps == [0.1]
    assert [[e.id for e in p.events] for p in pages if isinstance(p, EventPage)] == [
        ["e1"],
        ["e2"],
        ["e3"],
    ]


def test_a_rejected_search_gets_its_error_and_a_persistent_transient_one_its_last(
    store: ElasticsearchStore, client: MagicMock, sleeps: list[float]
) -> None:
    busy = _error(503, "search_phase_execution_exception")
    _script(client, [_error(400, "query_shard_exception"), busy], [busy], [busy])
    rejected, unavailable = store.search_events_batch(_searches(2))
    assert isinstance(rejected, StoreError) and not isinstance(rejected, StoreUnavailableError)
    assert "query_shard_exception" in str(rejected)
    assert isinstance(unavailable, StoreUnavailableError)
    assert sleeps == [0.1, 0.2]  # the backoff's attempts, then the error stays the answer


def test_a_full_page_resumes_after_its_last_event(
    store: ElasticsearchStore, client: MagicMock
) -> None:
    _script(client, [_answer(*range(10)), _answer(4)])
    full, short = store.search_events_batch(_searches(2))
    assert isinstance(full, EventPage) and isinstance(short, EventPage)
    assert full.after == ("2026-11-27T10:00:00.000009Z", "e9") and short.after is None
