"""Paging a detection window on a real Elasticsearch node: keyset pages (``search_after``
with the page's last key, never ``from``), every event exactly once, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from canhgac.models import Event
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.integration

# Few writes of many events: events of one write share their ingest stamp, so only the id
# tells pages apart there.
WRITES, PER_WRITE, PAGE = 3, 700, 150
TOTAL = WRITES * PER_WRITE


def _event(n: int) -> Event:
    return Event(
        f"ev-{(n * 7919) % 10_007:05d}-{n}",  # ids not in write order
        {
            "@timestamp": f"2026-12-03T00:{n // 60 % 60:02d}:{n % 60:02d}.000000Z",
            "event.original": f"GET /tra-cuu/{n} HTTP/1.1",
            "event.dataset": "nginx.access" if n % 2 else "system.auth",
        },
    )


@pytest.fixture
def stored(es_store: ElasticsearchStore) -> ElasticsearchStore:
    for w in range(WRITES):
        assert es_store.write_events([_event(w * PER_WRITE + i) for i in range(PER_WRITE)])
    return es_store


@pytest.fixture
def bodies(stored: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every search body the store sends (``search`` and each ``_msearch`` body line)."""
    sent: list[Any] = []
    client = stored._es.client

    def recording(name: str, bodies_of: Callable[[dict[str, Any]], list[Any]]) -> None:
        real = getattr(client, name)

        def call(**kwargs: Any) -> Any:
            sent.extend(bodies_of(kwargs))
            return real(**kwargs)

        monkeypatch.setattr(client, name, call)

    recording("search", lambda kwargs: [kwargs])
    recording("msearch", lambda kwargs: kwargs["searches"][1::2])
    yield sent


def _keys(pages: list[EventPage]) -> list[tuple[str, str]]:
    return [(e.fields["event.ingested"], e.id) for page in pages for e in page.events]


def _assert_keyset(sent: list[Any], pages: int) -> None:
    assert len(sent) == pages
    assert all("from" not in body and "from_" not in body for body in sent)
    assert "search_after" not in sent[0]
    assert all("search_after" in body for body in sent[1:])


def test_search_events_pages_with_search_after_and_returns_each_event_once(
    stored: ElasticsearchStore, bodies: list[Any]
) -> None:
    pages: list[EventPage] = []
    after: tuple[str, str] | None = None
    while True:
        page = stored.search_events(None, "", "", after=after, limit=PAGE)
        pages.append(page)
        if page.after is None:
            break
        after = page.after
    keys = _keys(pages)
    assert len(pages) >= TOTAL // PAGE
    assert len(keys) == TOTAL and len(set(keys)) == TOTAL
    assert keys == sorted(keys)
    _assert_keyset(bodies, len(pages))
    # A later page's range starts at its key's stamp, not the window's start.
    lower = [body["query"]["bool"]["filter"][0]["range"]["event.ingested"] for body in bodies]
    assert "gte" not in lower[0]
    assert all(
        bound["gte"] == key[0] for bound, key in zip(lower[1:], _resume_keys(pages), strict=True)
    )


def _resume_keys(pages: list[EventPage]) -> list[tuple[str, str]]:
    return [page.after for page in pages if page.after is not None]


def test_batched_pages_of_a_query_use_search_after_too(
    stored: ElasticsearchStore, bodies: list[Any]
) -> None:
    query = {"term": {"event.dataset": "nginx.access"}}
    pages: list[EventPage] = []
    after: tuple[str, str] | None = None
    while True:
        (page,) = stored.search_events_batch([EventSearch(query, "", "", after, PAGE)])
        assert isinstance(page, EventPage)
        pages.append(page)
        if page.after is None:
            break
        after = page.after
    keys = _keys(pages)
    expected = sum(1 for n in range(TOTAL) if n % 2)
    assert len(pages) > 3
    assert len(keys) == expected and len(set(keys)) == expected
    assert keys == sorted(keys)
    _assert_keyset(bodies, len(pages))
