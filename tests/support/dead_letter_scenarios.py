"""Dead-letter queries and replay, the same checks on every store (SQLite in the unit tests,
Elasticsearch in tests/integration)."""

from __future__ import annotations

from dataclasses import replace

from canhgac.config import FileSourceConfig
from canhgac.dead_letters import DeadLetterQuery
from canhgac.models import DeadLetter, Event
from canhgac.store.base import Store
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.replay import replay

NGINX = '203.0.113.9 - - [27/Nov/2026:10:15:32 +0700] "GET /dich-vu-cong/ HTTP/1.1" 200 512 "-" "Mozilla/5.0"'


def _letter(number: int, source: str, reason: str, minute: int) -> DeadLetter:
    return DeadLetter(
        id=f"dl-{number:03d}",
        source=source,
        reason=reason,
        raw=f"bản ghi {number}".encode(),
        received_at=f"2026-11-27T03:{minute:02d}:00.000000Z",
        context={"identity": f"file:{source}"},
    )


LETTERS = [
    _letter(1, "portal", "not an nginx access log line (combined or common format)", 1),
    _letter(2, "portal", "line exceeds 1048576 bytes", 2),
    _letter(3, "http-json", "line 3: not a JSON object", 3),
    _letter(4, "http-json", "invalid JSON: Expecting value", 4),
    _letter(5, "portal", "binary data: not a text log record", 5),
    _letter(6, "syslog-udp", "unknown parser 'nginxx'; known parsers: apache", 6),
    _letter(7, "syslog-udp", "not a syslog record: no <PRI> and no timestamp", 7),
]


def ids(store: Store, **filters: object) -> list[str]:
    page = store.find_dead_letters(DeadLetterQuery(limit=100, **filters))  # type: ignore[arg-type]
    return [letter.id for letter in page.letters]


def check_queries(store: Store) -> None:
    assert store.write_dead_letters(LETTERS) == len(LETTERS)
    assert ids(store) == [f"dl-{n:03d}" for n in range(1, 8)]
    assert ids(store, source="portal") == ["dl-001", "dl-002", "dl-005"]
    # Reason classes: "line 3:" is a JSON body problem, "line exceeds" a cut line.
    assert ids(store, reason="json") == ["dl-003", "dl-004"]
    assert ids(store, reason="too_long") == ["dl-002"]
    assert ids(store, reason="parse") == ["dl-001", "dl-007"]
    assert ids(store, reason="config") == ["dl-006"]
    assert ids(store, reason="poison") == []
    assert ids(store, since="2026-11-27T03:05:00.000000Z") == ["dl-005", "dl-006", "dl-007"]
    assert ids(store, source="portal", since="2026-11-27T03:02:00.000000Z", reason="binary") == [
        "dl-005"
    ]
    # Paging: every letter once, in order, whatever the page size.
    seen, query = [], DeadLetterQuery(limit=3)
    while True:
        page = store.find_dead_letters(query)
        seen.extend(letter.id for letter in page.letters)
        if page.after is None:
            break
        query = replace(query, after=page.after)
    assert seen == ids(store)
    # Replace keeps the letter's place and bytes, with the new reason.
    [first] = store.find_dead_letters(DeadLetterQuery(limit=1)).letters
    store.replace_dead_letters([replace(first, reason="line exceeds 10 bytes")])
    [again] = store.find_dead_letters(DeadLetterQuery(reason="too_long", limit=1)).letters
    assert (again.id, again.raw, again.reason) == (
        "dl-001",
        "bản ghi 1".encode(),
        "line exceeds 10 bytes",
    )
    assert store.delete_dead_letters(["dl-001", "dl-003", "dl-nope"]) == 2
    assert ids(store) == ["dl-002", "dl-004", "dl-005", "dl-006", "dl-007"]
    assert store.count_dead_letters() == 5


def check_replay(store: Store) -> None:
    """A source first configured with the wrong parser, then corrected: its dead letters
    become events once, the garbage among them stays with the new reason."""
    wrong = FileSourceConfig(name="portal", path="/var/log/nginx/access.log", parser="rfc5424")
    right = wrong.model_copy(update={"parser": "nginx"})
    lines = [NGINX, NGINX.replace("203.0.113.9", "198.51.100.7"), "rác không phải nginx"]
    records = [
        to_record(
            line.encode(),
            Origin("portal", "file:42:abc", "2026-11-27T03:15:00.000000Z", parser=wrong.parser),
            offset,
        )
        for offset, line in enumerate(lines)
    ]
    assert all(isinstance(r, DeadLetter) for r in records)
    letters = [r for r in records if isinstance(r, DeadLetter)]
    store.write_dead_letters(letters)
    events_before = store.count_events()

    outcome = replay(store, [right], DeadLetterQuery(source="portal", limit=2))
    assert (outcome.parsed, outcome.stored, outcome.failed) == (2, 2, 1)
    stored = store.get_events([letter.id for letter in letters])
    assert [e.id for e in stored] == [letters[0].id, letters[1].id]
    assert all(isinstance(e, Event) and e.fields["source.ip"] for e in stored)
    assert stored[1].fields["source.ip"] == "198.51.100.7"
    [left] = store.find_dead_letters(DeadLetterQuery(source="portal")).letters
    assert left.id == letters[2].id and left.reason.startswith("not an nginx access log line")
    assert left.raw == "rác không phải nginx".encode()
    assert left.context["parser"] == "nginx"

    # Twice stores once: again (nothing to do), and after a crash between the event write
    # and the delete (the letter back in the store): no second event.
    assert replay(store, [right], DeadLetterQuery(source="portal")).stored == 0
    store.write_dead_letters([letters[0]])
    outcome = replay(store, [right], DeadLetterQuery(source="portal"))
    assert (outcome.parsed, outcome.stored, outcome.failed) == (1, 0, 1)
    assert store.count_events() == events_before + 2
    assert ids(store, source="portal") == [letters[2].id]

    # A letter of a source no longer configured, or cut short, is left alone.
    gone = replace(letters[0], id="dl-gone", source="old-host")
    cut = replace(letters[1], id="dl-cut", reason="line exceeds 10 bytes")
    store.write_dead_letters([gone, cut])
    outcome = replay(store, [right], DeadLetterQuery())
    assert outcome.parsed == 0
    assert dict(outcome.skipped) == {
        "source 'old-host' is not configured": 1,
        "too_long: the raw bytes are not the whole record": 1,
    }
