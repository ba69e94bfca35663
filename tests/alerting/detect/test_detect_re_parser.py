"""What the Elasticsearch regex translation
(:mod:`alerting.detect.compile.elasticsearch.regex`) relies on in
CPython's private regex parser ``re._parser``: the opcode names, the shape of each item's
argument and where the inline flags land. Private means a Python upgrade may change any of it
without notice; this file then fails by name, before any translated query is wrong."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")


def _items(pattern: str) -> list[tuple[str, Any]]:
    return [(str(op), arg) for op, arg in _parser.parse(pattern, 0)]


def _one(pattern: str) -> tuple[str, Any]:
    items = _items(pattern)
    assert len(items) == 1, items
    return items[0]


def test_parse_gives_op_argument_pairs_and_the_global_inline_flags() -> None:
    parsed = _parser.parse("(?is)xé", 0)
    assert int(parsed.state.flags) & (re.IGNORECASE | re.DOTALL) == re.IGNORECASE | re.DOTALL
    assert [(str(op), arg) for op, arg in parsed] == [("LITERAL", ord("x")), ("LITERAL", 0xE9)]
    assert int(_parser.parse("x", 0).state.flags) & re.IGNORECASE == 0


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a", ("LITERAL", 97)),
        ("[^a]", ("NOT_LITERAL", 97)),
        (".", ("ANY", None)),
    ],
)
def test_single_character_items(pattern: str, expected: tuple[str, Any]) -> None:
    assert _one(pattern) == expected


def test_a_class_lists_negate_first_then_literals_ranges_and_categories() -> None:
    name, members = _one(r"[^a-cx\d\s\w]")
    assert name == "IN"
    assert [(str(op), arg if str(op) != "CATEGORY" else str(arg)) for op, arg in members] == [
        ("NEGATE", None),
        ("RANGE", (97, 99)),
        ("LITERAL", 120),
        ("CATEGORY", "CATEGORY_DIGIT"),
        ("CATEGORY", "CATEGORY_SPACE"),
        ("CATEGORY", "CATEGORY_WORD"),
    ]
    negated = _one(r"[\D\S\W]")[1]
    assert [str(arg) for _, arg in negated] == [
        "CATEGORY_NOT_DIGIT",
        "CATEGORY_NOT_SPACE",
        "CATEGORY_NOT_WORD",
    ]


@pytest.mark.parametrize(
    ("pattern", "anchor"),
    [
        ("^", "AT_BEGINNING"),
        (r"\A", "AT_BEGINNING_STRING"),
        ("$", "AT_END"),
        (r"\Z", "AT_END_STRING"),
        (r"\b", "AT_BOUNDARY"),
    ],
)
def test_anchors_are_at_items_named_by_their_argument(pattern: str, anchor: str) -> None:
    name, arg = _one(pattern)
    assert (name, str(arg)) == ("AT", anchor)


def test_a_group_carries_its_added_and_removed_flags_then_its_items() -> None:
    name, arg = _one("(?i:a)")
    assert name == "SUBPATTERN"
    assert arg[1] & re.IGNORECASE and not arg[2] & re.IGNORECASE
    assert [(str(op), value) for op, value in arg[3]] == [("LITERAL", 97)]
    removed = _one("(?-s:.)")[1]
    assert removed[2] & re.DOTALL and not removed[1] & re.DOTALL
    assert _one("(ab)")[1][0] == 1  # a capturing group's number comes first


def test_an_alternation_is_a_branch_with_its_alternatives_second() -> None:
    name, arg = _one("ab|cd")
    assert name == "BRANCH"
    assert [[(str(op), v) for op, v in alternative] for alternative in arg[1]] == [
        [("LITERAL", 97), ("LITERAL", 98)],
        [("LITERAL", 99), ("LITERAL", 100)],
    ]


@pytest.mark.parametrize(
    ("pattern", "name", "low", "high"),
    [
        ("a*", "MAX_REPEAT", 0, None),
        ("a+", "MAX_REPEAT", 1, None),
        ("a?", "MAX_REPEAT", 0, 1),
        ("a{2,5}", "MAX_REPEAT", 2, 5),
        ("a{3,}", "MAX_REPEAT", 3, None),
        ("a*?", "MIN_REPEAT", 0, None),
        ("a*+", "POSSESSIVE_REPEAT", 0, None),
    ],
)
def test_repetitions_are_low_high_items_with_maxrepeat_for_no_bound(
    pattern: str, name: str, low: int, high: int | None
) -> None:
    found, (found_low, found_high, items) = _one(pattern)
    assert (found, found_low) == (name, low)
    # es_regex tests ``high is MAXREPEAT``: identity, not equality.
    assert found_high is _constants.MAXREPEAT if high is None else found_high == high
    assert [(str(op), v) for op, v in items] == [("LITERAL", 97)]


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        ("(?=a)", "ASSERT"),
        ("(?<=a)", "ASSERT"),
        ("(?!a)", "ASSERT_NOT"),
        ("(?>a)", "ATOMIC_GROUP"),
    ],
)
def test_the_refused_constructs_keep_their_names(pattern: str, name: str) -> None:
    assert _one(pattern)[0] == name


def test_backreferences_and_conditionals_keep_their_names() -> None:
    assert [name for name, _ in _items(r"(a)\1")] == ["SUBPATTERN", "GROUPREF"]
    assert [name for name, _ in _items("(a)?(?(1)b|c)")] == ["MAX_REPEAT", "GROUPREF_EXISTS"]
    atomic_items = _one("(?>ab)")[1]
    assert [(str(op), v) for op, v in atomic_items] == [("LITERAL", 97), ("LITERAL", 98)]
