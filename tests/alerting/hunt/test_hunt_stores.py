"""One corpus of search queries, the same hits on SQLite and on a real Elasticsearch node.

Expected ids are written out per query (not taken from either store), so both stores are
held to the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerting.hunt.compilers import HUNT_COMPILERS
from alerting.hunt.parser import parse
from alerting.hunt.syntax import QuerySyntaxError
from alerting.triage.entity import ENTITY_KINDS, entity_view
from alerting.triage.hunt_service import HuntService
from canhgac.models import Event
from canhgac.store.base import Store
from canhgac.store.hunt import HuntRequest
from canhgac.store.hunt_registry import event_hunt
from canhgac.timeutil import from_iso
from tests.support.stores import BOTH_STORES, store_with

START = "2026-11-27T00:00:00.000000Z"
END = "2026-11-28T00:00:00.000000Z"
XSS = "<script>alert(1)</script>"

EVENTS = [
    Event(
        "e1",
        {
            "@timestamp": "2026-11-27T01:00:00.000000Z",
            "event.original": "Failed password for root from 10.0.0.5",
            "host.name": "web01",
            "user.name": "root",
            "source.ip": "10.0.0.5",
            "source.port": 40022,
            "event.dataset": "sshd",
        },
    ),
    Event(
        "e2",
        {
            "@timestamp": "2026-11-27T02:00:00.000000Z",
            "event.original": "Accepted password for NGUYỄN from 10.0.0.6",
            "host.name": "WEB02",
            "user.name": "NGUYỄN",
            "source.ip": "10.0.0.6",
            "source.port": 51000,
            "event.dataset": "sshd",
        },
    ),
    Event(
        "e3",
        {
            "@timestamp": "2026-11-27T03:00:00.000000Z",
            "event.original": f"GET /search?q={XSS} 404",
            "host.name": "proxy1",
            "source.ip": "203.0.113.9",
            "http.response.status_code": 404,
            "event.dataset": "squid",
        },
    ),
    Event(
        "e4",
        {
            "@timestamp": "2026-11-27T04:00:00.000000Z",
            "event.original": "GET /index.html 200 '; DROP TABLE events; --",
            "host.name": "proxy1",
            "source.ip": "203.0.113.10",
            "http.response.status_code": 200,
            "event.dataset": "squid",
        },
    ),
    Event(
        "e5",
        {
            "@timestamp": "2026-11-27T05:30:00.000000Z",
            "event.original": "failed password for nguyễn văn a",
            "host.name": "db01",
            "user.name": "nguyễn văn a",
            "event.dataset": "sshd",
        },
    ),
    # Outside the time range: never a hit.
    Event(
        "e6",
        {
            "@timestamp": "2026-11-26T23:59:59.000000Z",
            "event.original": "Failed password for root",
            "host.name": "web01",
            "user.name": "root",
            "event.dataset": "sshd",
        },
    ),
]

#: query -> the ids it must find (newest first).
CORPUS: dict[str, list[str]] = {
    "": ["e5", "e4", "e3", "e2", "e1"],
    "failed": ["e5", "e1"],
    "FAILED password": ["e5", "e1"],
    '"failed password for root"': ["e1"],
    "host.name:web01": ["e1"],
    "host.name:web*": ["e2", "e1"],
    "host.name:web0?": ["e2", "e1"],
    "host.name:WEB01 OR host.name:db01": ["e5", "e1"],
    "host.name:(web01 OR db01)": ["e5", "e1"],
    "user.name:nguyễn": ["e2"],
    'user.name:"NGUYỄN VĂN A"': ["e5"],
    "nguyễn": ["e5", "e2"],
    "event.dataset:sshd AND NOT user.name:root": ["e5", "e2"],
    "NOT event.dataset:sshd": ["e4", "e3"],
    "NOT user.name:root": ["e5", "e4", "e3", "e2"],  # events without the field included
    "source.port:40022": ["e1"],
    "source.ip:10.0.0.*": ["e2", "e1"],
    "source.ip:203.0.113.8/30": ["e4", "e3"],
    "NOT source.ip:10.*": ["e5", "e4", "e3"],
    "source.ip:2001\\:db8\\:\\:/32": [],
    "user.name:*": ["e5", "e2", "e1"],
    "-NOT-": [],
    "http.response.status_code:404": ["e3"],
    'http.response.status_code:"404"': ["e3"],
    "http.response.status_code>=200": ["e4", "e3"],
    "http.response.status_code:[300 TO *]": ["e3"],
    "source.port:[40000 TO 50000]": ["e1"],
    "source.port:{40022 TO 51000]": ["e2"],
    "source.port<51000": ["e1"],
    '"<script>"': ["e3"],
    '"\'; DROP TABLE events; --"': ["e4"],
    "(event.dataset:squid AND 404) OR (event.dataset:sshd AND root)": ["e3", "e1"],
    "event.dataset:squid 200": ["e4"],
    "host.name:proxy1 AND source.ip:203.0.113.9": ["e3"],
    "\\*": [],
}


@pytest.fixture(scope="module", params=BOTH_STORES)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    yield from store_with(request.param, tmp_path_factory.mktemp("hunt"), EVENTS)


def _request(store: Store, text: str) -> HuntRequest:
    compiled = HUNT_COMPILERS.get(store.query_language)(parse(text))
    return HuntRequest(compiled, START, END)


@pytest.mark.parametrize("text", list(CORPUS))
def test_corpus_gives_the_same_hits_on_every_store(store: Store, text: str) -> None:
    hunt = event_hunt(store)
    request = _request(store, text)
    page = hunt.page(request, None, 100)
    assert [event.id for event in page.events] == CORPUS[text]
    assert page.after is None
    assert hunt.count(request) == len(CORPUS[text])


def test_paging_walks_every_hit_once_newest_first(store: Store) -> None:
    hunt = event_hunt(store)
    request = _request(store, "")
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = hunt.page(request, after, 2)
        seen += [event.id for event in page.events]
        after = page.after
        if after is None:
            break
    assert seen == ["e5", "e4", "e3", "e2", "e1"]


def test_oldest_is_the_first_seen_hit(store: Store) -> None:
    hunt = event_hunt(store)
    oldest = hunt.oldest(_request(store, "failed"))
    assert oldest is not None and oldest.id == "e1"
    assert hunt.oldest(_request(store, "nothing-matches-this")) is None


def test_histogram_counts_hits_per_epoch_aligned_bucket(store: Store) -> None:
    hunt = event_hunt(store)
    buckets = hunt.histogram(_request(store, "event.dataset:sshd"), 7200)
    assert list(buckets) == [
        ("2026-11-27T00:00:00.000000Z", 1),
        ("2026-11-27T02:00:00.000000Z", 1),
        ("2026-11-27T04:00:00.000000Z", 1),
    ]


def test_the_events_table_survives_an_injection_attempt(store: Store) -> None:
    hunt = event_hunt(store)
    attempts = [
        "x'; DROP TABLE events; --",
        'user.name:"root\' OR 1=1 --"',
        "host.name:*' OR '1'='1",
    ]
    for text in attempts:
        try:
            request = _request(store, text)
        except QuerySyntaxError as exc:
            assert exc.position == text.index("=")  # refused where it stops being the language
            continue
        assert hunt.count(request) == 0
    assert hunt.count(_request(store, "")) == 5


def test_the_search_page_service_on_every_store(store: Store) -> None:
    service = HuntService(store)
    start, end = from_iso(START), from_iso(END)
    first = service.search("event.dataset:sshd", start, end, None, 2)
    assert (first.total, [e.id for e in first.events]) == (3, ["e5", "e2"])
    assert first.next_cursor is not None
    rest = service.search("event.dataset:sshd", start, end, first.next_cursor, 2)
    assert [e.id for e in rest.events] == ["e1"] and rest.next_cursor is None
    tops = {top.field: dict(top.values) for top in first.top}
    assert tops["host.name"] == {"db01": 1, "WEB02": 1, "web01": 1}
    assert sum(count for _, count in first.histogram) == 3
    assert [e.id for e in service.every_event("event.dataset:squid", start, end)] == ["e4", "e3"]


def test_an_entity_page_on_every_store(store: Store) -> None:
    view = entity_view(store, ENTITY_KINDS["ip"], "10.0.0.5", from_iso(START), from_iso(END))
    assert view.total == 1
    assert view.first_seen is not None and view.first_seen.id == "e1"
    assert view.last_seen is not None and view.last_seen.id == "e1"
    related = {kind + ":" + top.field: dict(top.values) for kind, top in view.related}
    assert related == {"host:host.name": {"web01": 1}, "user:user.name": {"root": 1}}
