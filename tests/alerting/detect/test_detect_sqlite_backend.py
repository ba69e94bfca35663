"""Sigma -> SQLite conversion, checked by running each query against real stored events."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

import pytest

from alerting.detect.compile.sqlite import backend as sqlite_backend
from alerting.detect.compile.sqlite.patterns import glob_pattern, like_pattern, sql_literal
from canhgac.store.sqlite.store import SQLiteStore

NFD = "NFD"


def _nfd(text: str) -> str:
    return unicodedata.normalize(NFD, text)


def event(event_id: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    """An event spec: id and fields, ``__`` standing for dots (``user__name``)."""
    return event_id, {name.replace("__", "."): value for name, value in fields.items()}


Spec = tuple[str, dict[str, Any]]
CASES: dict[str, tuple[str, list[Spec], set[str]]] = {
    "ascii strings ignore case, exact otherwise": (
        "sel:\n  user.name: ADMIN\ncondition: sel",
        [
            event("hit-lower", user__name="admin"),
            event("hit-mixed", user__name="Admin"),
            event("miss-longer", user__name="administrator"),
            event("miss-absent"),
        ],
        {"hit-lower", "hit-mixed"},
    ),
    "vietnamese ignores case for every letter, NFC or NFD": (
        "sel:\n  user.name: NGUYỄN VĂN A\ncondition: sel",
        [
            event("hit-nfc", user__name="nguyễn văn a"),
            event("hit-nfd", user__name=_nfd("Nguyễn Văn A")),
            event("miss-no-diacritics", user__name="nguyen van a"),
            event("miss-other-tone", user__name="nguyến văn a"),
        ],
        {"hit-nfc", "hit-nfd"},
    ),
    "a rule written in NFD matches stored NFC (JSON field, contains)": (
        f"sel:\n  message|contains: '{_nfd('ĐĂNG NHẬP')}'\ncondition: sel",
        [
            event("hit", message="Người dùng đăng nhập thất bại"),
            event("miss", message="Người dùng đăng xuất"),
        ],
        {"hit"},
    ),
    "startswith, endswith and literal % _ \\ in values": (
        "sel:\n  url.original|startswith: '/api/100%_'\n"
        "  url.original|endswith: 'C:\\Temp'\ncondition: sel",
        [
            event("hit", url__original="/API/100%_x?C:\\temp"),
            event("miss-wildcards-are-literal", url__original="/api/100ab?C:\\Temp"),
            event("miss-end", url__original="/api/100%_x?C:\\Tmp"),
        ],
        {"hit"},
    ),
    "sigma wildcards * and ? inside a value": (
        "sel:\n  process.name: 'ba?h*'\ncondition: sel",
        [
            event("hit", process__name="BASH"),
            event("hit-suffix", process__name="bash5.2"),
            event("miss", process__name="bsh"),
        ],
        {"hit", "hit-suffix"},
    ),
    "cased stays case-sensitive with literal glob characters": (
        "sel:\n  process.command_line|cased|startswith: 'Run[1]?'\ncondition: sel",
        [
            event("hit", process__command_line="Run[1]? now"),
            event("miss-case", process__command_line="run[1]? now"),
            event("miss-class", process__command_line="Run1x now"),
        ],
        {"hit"},
    ),
    "numbers match stored numbers and numeric strings": (
        "sel:\n  event.code: 4624\ncondition: sel",
        [
            event("hit-string", event__code="4624"),
            event("hit-int", event__code=4624),
            event("miss-other", event__code="14624"),
            event("miss-near", event__code=4625),
        ],
        {"hit-string", "hit-int"},
    ),
    "a large number matches however JSON writes it": (
        "sel:\n  file.size: 100000000000000000000\ncondition: sel",
        [event("hit", file__size=1e20), event("miss", file__size=1e19)],
        {"hit"},
    ),
    "a quoted number matches a stored integer": (
        "sel:\n  http.response.status_code: '404'\ncondition: sel",
        [
            event("hit", http__response__status_code=404),
            event("miss", http__response__status_code=4040),
        ],
        {"hit"},
    ),
    "regex is case-sensitive unless |i": (
        "sel:\n  process.command_line|re: '-[Ee]nc\\s+[A-Za-z0-9+/=]{8,}'\ncondition: sel",
        [
            event("hit", process__command_line="powershell -enc SQBFAFgAIAAo"),
            event("miss-short", process__command_line="powershell -enc abc"),
            event("miss-case", process__command_line="powershell -ENC SQBFAFgAIAAo"),
        ],
        {"hit"},
    ),
    "regex with |i folds unicode": (
        "sel:\n  user.name|re|i: '^NGUYỄN'\ncondition: sel",
        [event("hit", user__name="nguyễn thị b"), event("miss", user__name="nguyen")],
        {"hit"},
    ),
    "cidr on an indexed column, v4 and mapped v6": (
        "sel:\n  source.ip|cidr: 10.0.0.0/8\ncondition: sel",
        [
            event("hit", source__ip="10.1.2.3"),
            event("hit-mapped", source__ip="::ffff:10.9.9.9"),
            event("miss", source__ip="11.0.0.1"),
            event("miss-garbage", source__ip="10.1.2.3.evil.example"),
        ],
        {"hit", "hit-mapped"},
    ),
    "cidr on a JSON field, IPv6 in any spelling": (
        "sel:\n  destination.ip|cidr: '2001:db8::/32'\ncondition: sel",
        [
            event("hit", destination__ip="2001:DB8:0:0:0:0:0:1"),
            event("miss", destination__ip="2001:db9::1"),
            event("miss-v4", destination__ip="10.0.0.1"),
        ],
        {"hit"},
    ),
    "exists true and false": (
        "sel:\n  user.effective.name|exists: true\n"
        "nope:\n  user.target.name|exists: false\ncondition: sel and nope",
        [
            event("hit", user__effective__name="root"),
            event("miss-target", user__effective__name="root", user__target__name="bob"),
            event("miss-absent"),
        ],
        {"hit"},
    ),
    "null means the field is absent": (
        "sel:\n  user.name: null\ncondition: sel",
        [event("hit"), event("miss", user__name="bob")],
        {"hit"},
    ),
    "fieldref compares two fields ignoring case": (
        "sel:\n  user.effective.name|fieldref: user.name\ncondition: sel",
        [
            event("hit", user__name="ROOT", user__effective__name="root"),
            event("hit-vi", user__name="NGUYỄN", user__effective__name="nguyễn"),
            event("miss", user__name="alice", user__effective__name="root"),
            event("miss-absent", user__name="alice"),
        ],
        {"hit", "hit-vi"},
    ),
    "fieldref startswith and endswith": (
        "sel:\n  url.path|fieldref|startswith: user.name\n"
        "  url.original|fieldref|endswith: user.name\ncondition: sel",
        [
            event("hit", user__name="bob", url__path="BOB/home", url__original="/x/Bob"),
            event("miss", user__name="bob", url__path="/home/bob", url__original="/x/bob"),
        ],
        {"hit"},
    ),
    "base64offset finds a string at every byte offset": (
        "sel:\n  process.command_line|base64offset|contains: 'Invoke-Mimikatz'\ncondition: sel",
        [
            event(
                f"hit-{offset}",
                process__command_line="powershell -e "
                + base64.b64encode(b"xyz"[:offset] + b"Invoke-Mimikatz -Dump").decode(),
            )
            for offset in range(3)
        ]
        + [
            event(
                "miss",
                process__command_line="powershell -e "
                + base64.b64encode(b"Invoke-WebRequest").decode(),
            )
        ],
        {"hit-0", "hit-1", "hit-2"},
    ),
    "windash matches -, / and unicode dashes": (
        "sel:\n  process.command_line|windash|contains: ' -enc '\ncondition: sel",
        [
            event("hit-dash", process__command_line="powershell -enc AAA"),
            event("hit-slash", process__command_line="powershell /ENC AAA"),
            event("hit-en-dash", process__command_line="powershell –enc AAA"),
            event("miss", process__command_line="powershell -encoded AAA"),
        ],
        {"hit-dash", "hit-slash", "hit-en-dash"},
    ),
    "all needs every value": (
        "sel:\n  process.command_line|contains|all: [whoami, /priv]\ncondition: sel",
        [
            event("hit", process__command_line="whoami /priv"),
            event("miss", process__command_line="whoami /groups"),
        ],
        {"hit"},
    ),
    "gt/gte/lt/lte compare numbers, also numbers stored as text": (
        "sel:\n  http.response.status_code|gte: 500\n  http.response.status_code|lt: 600\n"
        "low:\n  winlog.event_data.LogonType|lte: 3\n"
        "high:\n  winlog.event_data.LogonType|gt: 9\ncondition: sel or low or high",
        [
            event("hit-int", http__response__status_code=503),
            event("hit-text", http__response__status_code="502"),
            event("miss-404", http__response__status_code=404),
            event("miss-600", http__response__status_code=600),
            event("miss-text", http__response__status_code="abc"),
            event("hit-logon-3", winlog__event_data__LogonType="3"),
            event("hit-logon-10", winlog__event_data__LogonType="10"),
            event("miss-logon-7", winlog__event_data__LogonType="7"),
        ],
        {"hit-int", "hit-text", "hit-logon-3", "hit-logon-10"},
    ),
    "keywords search the original line, any case, unicode too": (
        "keywords:\n  - 'Failed password'\n  - 'NGUYỄN'\ncondition: keywords",
        [
            event("hit", event__original="sshd[1]: FAILED PASSWORD for root from 10.0.0.1"),
            event("hit-vi", event__original="login: nguyễn logged in"),
            event("miss", event__original="sshd[1]: Accepted password for root"),
        ],
        {"hit", "hit-vi"},
    ),
    "keywords combine with field selections and numbers": (
        "sel:\n  process.name: sshd\nkeywords:\n  - 4624\n  - 'invalid user'\n"
        "condition: sel and keywords",
        [
            event("hit", process__name="sshd", event__original="Invalid user bob from x"),
            event("hit-num", process__name="sshd", event__original="code 4624 seen"),
            event("miss-process", process__name="su", event__original="invalid user"),
        ],
        {"hit", "hit-num"},
    ),
    "not on an absent field keeps the event (Sigma two-valued logic)": (
        "sel:\n  process.name: sshd\nfilter:\n  user.name: root\ncondition: sel and not filter",
        [
            event("hit-no-user", process__name="sshd"),
            event("hit-other-user", process__name="sshd", user__name="bob"),
            event("miss-root", process__name="sshd", user__name="ROOT"),
        ],
        {"hit-no-user", "hit-other-user"},
    ),
    "booleans match JSON true": (
        "sel:\n  tls.established: true\ncondition: sel",
        [event("hit", tls__established=True), event("miss", tls__established=False)],
        {"hit"},
    ),
    "hostile values are data, never SQL": (
        'sel:\n  user.name: "x\' OR 1=1 --"\ncondition: sel',
        [event("hit", user__name="X' or 1=1 --"), event("miss", user__name="x")],
        {"hit"},
    ),
    "a single-character wildcard may stand for a character JSON escapes": (
        "sel:\n  process.command_line: 'say ?hi?'\ncondition: sel",
        [
            event("hit", process__command_line='say "hi"'),
            event("hit-tab", process__command_line="say \thi\t"),
            event("miss", process__command_line="say hi"),
        ],
        {"hit", "hit-tab"},
    ),
    "values holding quotes, backslashes or control characters still match": (
        'sel:\n  url.original|contains:\n    - \'a"b\\c\'\n    - "tab\\there"\ncondition: sel',
        [
            event("hit-quote", url__original='/xa"b\\cy'),
            event("hit-tab", url__original="/tab\there"),
            event("miss", url__original="/ab\\c"),
        ],
        {"hit-quote", "hit-tab"},
    ),
    "a value ending in a literal % keeps its wildcard (SigmaHQ's %AppData%, %temp%)": (
        "sel:\n  process.command_line|contains: '%AppData%'\ncondition: sel",
        [
            event("hit", process__command_line="copy x %APPDATA%\\evil.exe"),
            event("hit-end", process__command_line="cd %appdata%"),
            event("miss", process__command_line="cd AppData"),
        ],
        {"hit", "hit-end"},
    ),
    "the logsource condition from the pipeline applies": (
        "sel:\n  user.name: bob\ncondition: sel",
        [event("hit", user__name="bob"), event("miss", user__name="bob", event__dataset="syslog")],
        {"hit"},
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_conversion_matches_exactly_the_expected_events(
    case: str, store: SQLiteStore, kit: Any
) -> None:
    detection, specs, expected = CASES[case]
    store.write_events([kit.event(event_id, fields) for event_id, fields in specs])
    rule = kit.compile_text(kit.rule_text(detection))
    assert kit.matching_ids(store, rule.query) == expected


def test_non_ascii_values_are_folded_at_conversion_and_ascii_ones_use_like(kit: Any) -> None:
    rule = kit.compile_text(kit.rule_text("sel:\n  user.name: NGUYỄN\ncondition: sel"))
    assert "cg_fold(user_name) LIKE 'nguyễn'" in rule.query
    ascii_rule = kit.compile_text(
        kit.rule_text("sel:\n  user.name|startswith: ADMIN\n  message: 'x*'\ncondition: sel")
    )
    assert "cg_fold" not in ascii_rule.query
    assert "user_name LIKE 'ADMIN%'" in ascii_rule.query
    assert "json_extract(doc, '$.\"message\"') LIKE 'x%'" in ascii_rule.query


def test_plain_ascii_values_on_indexed_columns_seek_the_nocase_index(
    store: SQLiteStore, kit: Any
) -> None:
    rule = kit.compile_text(
        kit.rule_text("sel:\n  host.name:\n    - WEB-01\n    - db-02\ncondition: sel")
    )
    assert rule.query == (
        "dataset = 'test' COLLATE NOCASE AND (host COLLATE NOCASE IN ('WEB-01', 'db-02'))"
    )
    # The plan is the point of this test, so it reads through the store's private helper.
    plan = store._read(
        "EXPLAIN QUERY PLAN SELECT id FROM events WHERE ingested >= '' AND ingested < 'z'"
        f" AND ({rule.query}) ORDER BY ingested, id LIMIT 10"
    )
    assert "INDEX events_by_dataset (dataset=?" in str(plan)
    store.write_events(
        [
            kit.event("hit", host__name="web-01"),
            kit.event("hit-upper", host__name="DB-02"),
            kit.event("miss", host__name="web-011"),
            kit.event("miss-dataset", host__name="web-01", event__dataset="syslog"),
        ]
    )
    assert kit.matching_ids(store, rule.query) == {"hit", "hit-upper"}


def test_the_raw_document_prefilter_is_only_used_where_it_is_sound(kit: Any) -> None:
    query = kit.compile_text(
        kit.rule_text(
            "sel:\n  url.path|contains: 'ab_cd'\n  url.query: 'xy?zw'\n"
            "  url.original|contains: 'ab\"cd'\n  message|contains: 'Đăng nhập'\n"
            "  url.domain: 'x1'\n  user.name: bob\ncondition: sel"
        )
    ).query
    # Literal % and _ stay escaped, a single wildcard widens to %, a quote is looked for the
    # way JSON writes it (\"), and the needles are lowercased (LIKE folds ASCII anyway).
    assert "(doc LIKE '%ab\\_cd%' ESCAPE '\\' AND json_extract" in query
    assert "(doc LIKE '%xy%zw%' ESCAPE '\\' AND json_extract" in query
    assert "(doc LIKE '%ab\\\\\"cd%' ESCAPE '\\' AND json_extract" in query
    # Non-ASCII, too-short needles and indexed columns get none.
    assert "cg_fold(json_extract(doc, '$.\"message\"'))" in query
    assert "(doc LIKE '%x1%'" not in query
    assert "user_name = 'bob' COLLATE NOCASE" in query
    # Every term is required, so the rule is guarded by (up to three of) them.
    assert query.startswith(
        "doc LIKE '%ab\\\\\"cd%' ESCAPE '\\' AND doc LIKE '%ab\\_cd%' ESCAPE '\\' AND "
        "doc LIKE '%xy%zw%' ESCAPE '\\' AND ("
    )


@pytest.mark.parametrize(
    ("detection", "guard"),
    [
        (
            "sel:\n  url.path|contains: [aa1, BB1]\nother:\n  url.query|contains: [bb1, cc1]\n"
            "condition: sel or other",
            "(doc LIKE '%aa1%' ESCAPE '\\' OR doc LIKE '%bb1%' ESCAPE '\\' "
            "OR doc LIKE '%cc1%' ESCAPE '\\') AND (",
        ),
        (
            "sel:\n  url.path|contains: [aa1, bb1]\nother:\n  url.query: cc1\n"
            "condition: sel and other",
            "doc LIKE '%cc1%' ESCAPE '\\' AND (doc LIKE '%aa1%' ESCAPE '\\' OR "
            "doc LIKE '%bb1%' ESCAPE '\\') AND (",
        ),
        (  # what every argument of an OR requires is required (here zz1)
            "sel:\n  url.path: aa1\n  url.query: zz1\nother:\n  url.path: bb1\n"
            "  url.original: zz1\ncondition: sel or other",
            "doc LIKE '%zz1%' ESCAPE '\\' AND (doc LIKE '%aa1%' ESCAPE '\\' OR "
            "doc LIKE '%bb1%' ESCAPE '\\') AND (",
        ),
        ("sel:\n  url.path: aa1\nother:\n  url.query: bb1\ncondition: sel or not other", None),
        (  # a regex requires its literal runs (prefilter.regex_literal)
            "sel:\n  url.path: aa1\nother:\n  url.query|re: '^bb1[0-9]+$'\ncondition: sel or other",
            "(doc LIKE '%aa1%' ESCAPE '\\' OR doc LIKE '%bb1%' ESCAPE '\\') AND (",
        ),
        (  # no literal run: the regex needs its field's key (prefilter.key_prefilter)
            "sel:\n  url.path: aa1\nother:\n  url.query|re: 'b.1'\ncondition: sel or other",
            "(doc LIKE '%\"url.query\":%' ESCAPE '\\' OR doc LIKE '%aa1%' ESCAPE '\\') AND (",
        ),
        ("sel:\n  url.path: aa1\nkeywords:\n  - bb1\ncondition: sel or keywords", None),
        ("sel:\n  url.path: aa1\nother:\n  host.name: bb1\ncondition: sel or other", None),
        (  # too short a value: its field's key
            "sel:\n  url.path: aa1\nother:\n  url.query: b1\ncondition: sel or other",
            "(doc LIKE '%\"url.query\":%' ESCAPE '\\' OR doc LIKE '%aa1%' ESCAPE '\\') AND (",
        ),
        (  # a value matching where the field is absent needs nothing
            "sel:\n  url.path: aa1\nother:\n  url.query: null\ncondition: sel or other",
            None,
        ),
    ],
    ids=[
        "or-unions-dedupes",
        "and-keeps-both",
        "or-shared-factor",
        "not",
        "regex-literal",
        "regex-without",
        "keyword",
        "column",
        "short",
        "null",
    ],
)
def test_the_rule_is_guarded_by_the_needles_its_condition_requires(
    kit: Any, detection: str, guard: str | None
) -> None:
    query = kit.compile_text(kit.rule_text(detection)).query
    if guard is None:
        assert query.startswith("dataset = 'test' COLLATE NOCASE AND ")
    else:
        assert query.startswith(guard)


@pytest.mark.parametrize(
    "selection",
    [
        "url.port: true",
        "url.port: false",
        "url.port: 0",
        "url.port|gte: 0",
        "url.port: ''",
        "url.port: '*'",
        "url.port|re: '^.?$'",
        "url.port|exists: true",
        "url.port|exists: false",
        "url.port: null",
    ],
)
def test_a_field_key_needle_drops_no_match(
    selection: str, store: SQLiteStore, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A value without a needle of its own (true, 0, '', a regex without a literal run)
    # requires its field's key: never where the field is absent, null, empty or falsy.
    store.write_events(
        [
            kit.event("absent"),
            kit.event("null", url__port=None),
            kit.event("empty", url__port=""),
            kit.event("false", url__port=False),
            kit.event("true", url__port=True),
            kit.event("zero", url__port=0),
            kit.event("text", url__port="a"),
        ]
    )
    text = kit.rule_text(f"sel:\n  {selection}\ncondition: sel")
    guarded = kit.matching_ids(store, kit.compile_text(text).query)
    monkeypatch.setattr(sqlite_backend, "required_prefilters", lambda condition: [])
    assert kit.matching_ids(store, kit.compile_text(text).query) == guarded


def test_pattern_helpers_escape_every_metacharacter() -> None:
    assert like_pattern(["100%_\\"], str) == "100\\%\\_\\\\"
    assert glob_pattern(["a[*?"]) == "a[[][*][?]"
    assert sql_literal("it's\x00") == "'it''s' || char(0) || ''"


def test_a_field_name_sql_cannot_reference_is_a_rule_error(kit: Any) -> None:
    rules = kit.write_rules(
        {"bad_field.yml": kit.rule_text('sel:\n  "user\'name": x\ncondition: sel')}
    )
    compiled = kit.compile_dir(rules)
    assert compiled.rules == []
    [error] = compiled.errors
    assert str(error).startswith(f"{rules / 'bad_field.yml'}:")
    assert "has characters a query cannot reference" in str(error)
