"""Needles (canhgac/store/sqlite/needles.py): the automaton never rules out a row that the
search's LIKE prefilters accept, whatever the text, and picks triggers without changing the
answer."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from canhgac.store.sqlite.needle_scan import candidates_sql
from canhgac.store.sqlite.needles import literal_runs, needle_set
from canhgac.store.sqlite.rule_query import RuleQuery, needles_of
from canhgac.store.sqlite.store import SQLiteStore


def test_literal_runs_follow_like_escapes_and_drop_short_runs() -> None:
    assert literal_runs("%abc%def%") == {b"abc", b"def"}
    assert literal_runs("%ab\\%cd%") == {b"ab%cd"}  # an escaped wildcard is a literal
    assert literal_runs("%x_yz%\\\\\\\\cmd.exe%") == {b"\\\\cmd.exe"}  # 'x', 'yz': too short
    assert literal_runs("%CMD.exe%") == {b"cmd.exe"}  # LIKE folds ASCII case


def test_a_needle_query_is_its_text_and_keeps_its_clauses_through_pickling() -> None:
    import pickle

    query = RuleQuery("doc LIKE '%abc%'", [["%abc%"]])
    assert query == "doc LIKE '%abc%'" and hash(query) == hash("doc LIKE '%abc%'")
    assert needles_of(pickle.loads(pickle.dumps(query))) == (frozenset({"%abc%"}),)
    assert needles_of("doc LIKE '%abc%'") == ()


ALPHABET = ["a", "b", "c", "A", "B", "C", "%", "_", "\\", '"', "ễ", "K", "İ", "ß", " "]


def _pattern(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        run = "".join(rng.choice("abcAB%_\\") for _ in range(rng.randint(1, 5)))
        parts.append(run.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return "%" + rng.choice(["%", "_"]).join(parts) + "%"


def test_every_row_like_accepts_is_a_candidate() -> None:
    """SQLite's own LIKE is the oracle: 3,000 random texts (non-ASCII letters whose lower
    case is ASCII among them) against random patterns and clauses."""
    rng = random.Random(7)
    conn = sqlite3.connect(":memory:")
    accepted_rows = 0
    for _ in range(40):
        clauses = [[_pattern(rng) for _ in range(rng.randint(1, 3))] for _ in range(2)]
        needles = needle_set([tuple(frozenset(c) for c in clauses)])
        for _ in range(75):
            text = _text(rng, [p for clause in clauses for p in clause])
            accepted = all(
                any(
                    conn.execute("SELECT ? LIKE ? ESCAPE '\\'", (text, p)).fetchone()[0]
                    for p in clause
                )
                for clause in clauses
            )
            if accepted:
                accepted_rows += 1
                candidates = needles.candidates(text.encode()) if needles else {0}
                assert candidates == {0}, (text, clauses)
    assert accepted_rows > 300  # the oracle said yes often enough to test something


def _text(rng: random.Random, patterns: list[str]) -> str:
    """Random text around the literal text of some patterns, its case changed at random."""
    pieces = [rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))]
    for pattern in rng.sample(patterns, rng.randint(0, len(patterns))):
        literal = pattern.replace("\\\\", "\\").replace("\\%", "%").replace("\\_", "_")
        literal = literal.strip("%").replace("%", rng.choice(["", "ễ", "x"]))
        pieces.insert(
            rng.randint(0, len(pieces)), literal.swapcase() if rng.random() < 0.3 else literal
        )
    return "".join(pieces)


def test_triggers_from_a_sample_change_the_work_not_the_answer() -> None:
    channel = frozenset({"%security%", "%sysmon%"})
    required = [
        (channel, frozenset({"%mimikatz%"})),
        (channel, frozenset({"%4624%"}), frozenset({"%logontype%"})),
        (frozenset({"%never%"}),),
    ]
    documents = [
        b'{"channel":"Security","event.code":"4624","cmd":"x"}',
        b'{"channel":"Sysmon","cmd":"MIMIKATZ.exe"}',
        b'{"channel":"Security","cmd":"mimikatz","LogonType":"3","id":4624}',
        b'{"other":"never"}',
    ]
    sampled = needle_set(required, [d.lower() for d in documents[:2] * 10])
    blind = needle_set(required)
    assert sampled is not None and blind is not None
    for document in documents:
        assert sampled.candidates(document) == blind.candidates(document)
    assert [sorted(blind.candidates(d)) for d in documents] == [[], [0], [0, 1], [2]]
    # The channel is in every sampled document: the searches wake on their rare needles.
    assert not sampled.triggers[0] and not sampled.triggers[1]


def test_searches_without_needles_are_candidates_everywhere() -> None:
    needles = needle_set([(frozenset({"%ab%"}),), (frozenset({"%abc%"}),)])
    assert needles is not None and needles.always == (0,)  # 'ab' is too short to look for
    assert needles.candidates(b"zzz") == {0}
    assert needles.candidates(b"xABCx") == {0, 1}
    assert needle_set([(frozenset({"%ab%"}),)]) is None


@pytest.mark.parametrize("text", ["\u212a", "\u0130", "Kelvin"])
def test_non_ascii_folding_can_only_add_candidates(text: str) -> None:
    # LIKE never folds the Kelvin sign to 'k'; bytes.lower leaves it alone as well.
    needles = needle_set([(frozenset({"%kel%"}),)])
    assert needles is not None
    assert needles.candidates(text.encode()) == ({0} if text == "Kelvin" else set())


@pytest.mark.parametrize(
    "query",
    [
        "dataset = 'nginx.access' COLLATE NOCASE AND doc LIKE '%/admin%'",
        "dataset COLLATE NOCASE IN ('nginx.access', 'apache.access') AND doc LIKE '%/admin%'",
        "user_name = 'root' COLLATE NOCASE",
    ],
)
def test_candidates_are_looked_up_by_rowid_whatever_index_the_search_could_use(
    tmp_path: Path, query: str
) -> None:
    store = SQLiteStore(tmp_path / "events.db")
    try:
        plan = store._db.read(f"EXPLAIN QUERY PLAN {candidates_sql(query)}", ("[1, 2]", 10))
    finally:
        store.close()
    steps = [str(row[-1]) for row in plan]
    assert "SEARCH events USING INTEGER PRIMARY KEY (rowid=?)" in steps
    assert not any("INDEX events_" in step for step in steps)
