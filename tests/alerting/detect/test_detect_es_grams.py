"""Trigram prefilters on the store's gram fields (alerting.detect.compile.elasticsearch.grams, es_strings).

The property that matters: a needle's trigrams are implied by every match, on SQLite (the
reference: the real LIKE/GLOB/cg_fold expressions) and by the Elasticsearch query the leaf
verifies with, so the prefilter never drops an event.
"""

from __future__ import annotations

import random
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline
from sigma.types import SigmaString

from alerting.detect.compile.elasticsearch import leaves as es_leaves
from alerting.detect.compile.elasticsearch.backend import ElasticsearchQueryBackend
from alerting.detect.compile.elasticsearch.fields import (
    EventMapping,
    FieldKind,
    store_event_mapping,
)
from alerting.detect.compile.elasticsearch.grams import (
    MAX_RULE_GRAMS,
    gram_guarded,
    within_gram_budget,
)
from alerting.detect.compile.elasticsearch.strings import compared_segments
from alerting.detect.compile.sqlite.backend import SQLiteQueryBackend
from alerting.detect.compile.sqlite.patterns import glob_pattern, sql_literal
from canhgac.store.elasticsearch.grams import document_grams, needle_grams
from canhgac.store.elasticsearch.mappings import GRAM_SOURCES, GRAMS_FIELD, GRAMS_MARKER
from canhgac.store.sqlite.functions import register_functions

STORE = store_event_mapping()
ORIGINAL = "event.original.keyword"
PLAIN = EventMapping()


def _leaf(value: str, cased: bool = False, field: str = ORIGINAL, mapping: Any = STORE) -> Any:
    parts = SigmaString(value).s
    return es_leaves.STRING_QUERIES[FieldKind.KEYWORD](
        field, FieldKind.KEYWORD, parts, cased, mapping
    )


def _guard_and_exact(query: Any) -> tuple[list[str], Any]:
    guard, exact = query["bool"]["filter"]
    required, unmarked = guard["bool"]["should"]
    assert unmarked == {"bool": {"must_not": [{"exists": {"field": GRAMS_MARKER}}]}}
    return [term["term"][GRAMS_FIELD] for term in required["bool"]["filter"]], exact


def test_the_store_mapping_names_its_gram_fields() -> None:
    expected = {f"{name}.keyword" if name == "event.original" else name for name in GRAM_SOURCES}
    assert STORE.gram_fields == dict.fromkeys(expected, GRAMS_FIELD)
    assert STORE.doc_values_only == expected
    assert STORE.grams_of("process.executable") is None  # few values: walking them is cheaper


def test_a_leaf_on_a_gram_field_requires_the_needle_trigrams_first() -> None:
    grams, exact = _guard_and_exact(_leaf("*WGET http*"))
    assert grams == ["wge", "ttp", "t h", "get", "et ", " ht", "htt"]
    assert exact == {"wildcard": {ORIGINAL: {"value": "*WGET http*", "case_insensitive": True}}}


def test_leaves_without_grams_or_gram_field_stay_plain() -> None:
    assert _leaf("*-x*") == {"wildcard": {ORIGINAL: {"value": "*-x*", "case_insensitive": True}}}
    assert _leaf("wget", field="user.name") == {
        "term": {"user.name": {"value": "wget", "case_insensitive": True}}
    }
    assert gram_guarded({"match_all": {}}, "f", PLAIN, ["abcdef"]) == {"match_all": {}}


def _folding(pattern: str) -> Any:
    return {"wildcard": {"url.original": {"value": pattern, "case_insensitive": True}}}


@pytest.mark.parametrize(
    ("value", "cased", "exact"),
    [
        # On doc values a case-insensitive term or prefix folds Unicode letters (K, ſ, İ):
        # only a wildcard folds ASCII alone.
        ("Admin", False, _folding("Admin")),
        ("/admin*", False, _folding("/admin*")),
        # Without ASCII letters folding changes nothing, and the folding wildcard is checked
        # event by event instead of walking every stored value.
        ("*/8*", False, _folding("*/8*")),
        ("4624", False, {"term": {"url.original": "4624"}}),
        ("Admin", True, {"term": {"url.original": "Admin"}}),
        ("*Admin*", True, {"wildcard": {"url.original": {"value": "*Admin*"}}}),
    ],
)
def test_doc_values_fields_get_queries_that_fold_like_sqlite(
    value: str, cased: bool, exact: Any
) -> None:
    query = _leaf(value, cased, field="url.original")
    assert (query if "bool" not in query else _guard_and_exact(query)[1]) == exact


def test_numbers_on_gram_fields_are_guarded_too() -> None:
    query = es_leaves.NUMBER_QUERIES[FieldKind.KEYWORD](ORIGINAL, FieldKind.KEYWORD, 4625, STORE)
    assert _guard_and_exact(query) == (["462", "625"], {"term": {ORIGINAL: "4625"}})


def test_a_keyword_rule_compiles_to_guarded_leaves() -> None:
    rule = SigmaCollection.from_dicts(
        [
            {
                "title": "t",
                "logsource": {"product": "x"},
                "detection": {"keywords": ["Failed password", "-x"], "condition": "keywords"},
            }
        ]
    ).rules[0]
    [query] = ElasticsearchQueryBackend(ProcessingPipeline(), STORE).convert_rule(rule)
    guarded, short = query["bool"]["should"]
    assert _guard_and_exact(guarded)[0][:3] == ["fai", "ord", " pa"]
    assert short == {"wildcard": {ORIGINAL: {"value": "*-x*", "case_insensitive": True}}}


def test_a_rule_over_the_gram_budget_keeps_fewer_grams_per_leaf() -> None:
    leaves = [_leaf(f"*needle number {i:04d} in a long line*") for i in range(100)]
    query = within_gram_budget({"bool": {"should": leaves, "minimum_should_match": 1}})
    kept = [_guard_and_exact(leaf)[0] for leaf in query["bool"]["should"]]
    assert {len(grams) for grams in kept} == {MAX_RULE_GRAMS // 100}
    assert kept[0] == needle_grams(["needle number 0000 in a long line"], MAX_RULE_GRAMS // 100)
    small = {"bool": {"should": leaves[:2], "minimum_should_match": 1}}
    assert within_gram_budget(small) == small


# --- the property: grams are necessary for every match ----------------------------------------
# ASCII letters in both cases (most of the text, so that most needles have grams), wildcard
# and LIKE metacharacters, Vietnamese (composed and decomposed), and the characters whose
# fold is or contains ASCII.
ALPHABET = [
    *"abkisfAbKISF019 -/.%_" * 3,
    *["ễ", "Ễ", "đ", "Đ", "ă", "e\u0302\u0303", "ơ"],
    *["\ufb01", "ß", "ẞ", "\u212a", "\u017f", "\u0130", "\u0131", "σ", "ς", "Σ"],
]
CASES = 4000
SEED = 20261127


def _variant(rng: random.Random, text: str) -> str:
    """``text`` as a rule might spell it: other case, other normal form, wildcards."""
    out = []
    for char in text:
        roll = rng.random()
        if roll < 0.2:
            char = char.upper()
        elif roll < 0.4:
            char = char.lower()
        elif roll < 0.5:
            char = char.casefold()
        elif roll < 0.55:
            char = "?"
        out.append(char)
    spelled = "".join(out)
    if rng.random() < 0.2:
        spelled = unicodedata.normalize(rng.choice(["NFC", "NFD"]), spelled)
    if rng.random() < 0.3:
        cut = rng.randrange(len(spelled) + 1)
        spelled = spelled[:cut] + "*" + spelled[cut:]
    return "*" + spelled + "*" if rng.random() < 0.7 else spelled


def _cases(rng: random.Random) -> Iterator[tuple[str, str]]:
    for _ in range(CASES):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 20)))
        if value and rng.random() < 0.8:
            start = rng.randrange(len(value))
            needle = _variant(rng, value[start : start + rng.randint(1, 10)])
        else:
            needle = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 5)))
        yield value, needle


def _sqlite_matches(conn: sqlite3.Connection, value: str, parts: Any, cased: bool) -> bool:
    # The SQLite store's own expressions for a string leaf, on a one-row table.
    if cased:
        expression = f"v GLOB {sql_literal(glob_pattern(parts))}"
    else:
        expression = SQLiteQueryBackend(ProcessingPipeline()).match_string("v", parts)
    return bool(conn.execute(f"SELECT {expression} FROM (SELECT ? AS v)", (value,)).fetchone()[0])


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _wildcard_regex(pattern: str) -> str:
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars)))
        else:
            out.append({"*": ".*", "?": "."}.get(char) or re.escape(char))
    return "".join(out)


def _es_matches(query: Any, value: str) -> bool:
    """What Elasticsearch does with the leaf's exact query (case_insensitive folds ASCII only,
    as checked on the node for wildcards; the other kinds here are case-sensitive)."""
    [(kind, body)] = query.items()
    [spec] = body.values()
    spec = spec if isinstance(spec, dict) else {"value": spec}
    text, pattern = value, str(spec["value"])
    if spec.get("case_insensitive"):
        assert kind == "wildcard"  # the only folding query on doc values
        text, pattern = value.translate(_ASCII_LOWER), pattern.translate(_ASCII_LOWER)
    regex = {"term": re.escape, "prefix": lambda p: re.escape(p) + ".*"}.get(
        kind, _wildcard_regex if kind == "wildcard" else str
    )(pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def test_needle_grams_are_implied_by_every_match() -> None:
    rng = random.Random(SEED)
    conn = sqlite3.connect(":memory:")
    register_functions(conn)
    matched = {"sqlite": 0, "elasticsearch": 0, "with grams": 0}
    try:
        for value, needle in _cases(rng):
            parts = SigmaString(needle).s
            stored = document_grams([value])
            for cased in (False, True):
                query = _leaf(needle, cased)
                exact = _guard_and_exact(query)[1] if "bool" in query else query
                found = {
                    "sqlite": _sqlite_matches(conn, value, parts, cased),
                    "elasticsearch": _es_matches(exact, value),
                }
                if not any(found.values()):
                    continue
                required = set(needle_grams(compared_segments(parts, cased), limit=10**6))
                assert required <= stored, (value, needle, cased, found)
                matched["with grams"] += bool(required)
                for store, hit in found.items():
                    matched[store] += hit
    finally:
        conn.close()
    # Enough matches, with grams to check, that the property is really exercised.
    assert min(matched.values()) > CASES // 4, matched
