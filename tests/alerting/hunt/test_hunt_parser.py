"""The search language's parser: the trees of valid queries, and the errors (with the
position) of invalid ones, hostile ones included."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from sigma.types import CompareOperators, SpecialChars

from alerting.hunt.compilers import HUNT_COMPILERS
from alerting.hunt.lexer import MAX_QUERY_LENGTH
from alerting.hunt.parser import MAX_DEPTH, MAX_TERMS, parse
from alerting.hunt.syntax import (
    AllOf,
    AnyOf,
    Compare,
    Everything,
    InNetwork,
    Match,
    Not,
    QuerySyntaxError,
)

STAR = SpecialChars.WILDCARD_MULTI
ONE = SpecialChars.WILDCARD_SINGLE


def test_an_empty_or_blank_query_is_every_event() -> None:
    assert parse("") == Everything()
    assert parse("  \t ") == Everything()


def test_a_bare_word_is_free_text() -> None:
    assert parse("sshd") == Match(None, ("sshd",), False, 0)


def test_field_value_with_wildcards() -> None:
    assert parse("host.name:web*0?") == Match("host.name", ("web", STAR, "0", ONE), False, 10)


def test_a_quoted_phrase_is_literal_and_keeps_vietnamese() -> None:
    assert parse('user.name:"Nguyễn Văn *"') == Match("user.name", ("Nguyễn Văn *",), False, 10)


def test_escaped_wildcards_and_quotes_are_literal() -> None:
    assert parse(r"a\*b") == Match(None, ("a*b",), False, 0)
    assert parse(r'"say \"hi\""') == Match(None, ('say "hi"',), False, 0)


def test_an_unquoted_number_is_numeric_and_a_quoted_one_is_not() -> None:
    assert parse("code:404").numeric is True  # type: ignore[union-attr]
    assert parse('code:"404"').numeric is False  # type: ignore[union-attr]


def test_precedence_not_over_and_over_or_with_implicit_and() -> None:
    assert parse("a b OR NOT c") == AnyOf(
        (
            AllOf((Match(None, ("a",), False, 0), Match(None, ("b",), False, 2))),
            Not(Match(None, ("c",), False, 11)),
        )
    )


def test_keywords_in_any_case_and_symbols() -> None:
    assert parse("a and b") == parse("a AND b")
    assert parse("a or b") == parse("a OR b")
    assert (
        parse("a && b")
        == parse("a    b")
        == AllOf((Match(None, ("a",), False, 0), Match(None, ("b",), False, 5)))
    )
    assert parse("a || b") == AnyOf((Match(None, ("a",), False, 0), Match(None, ("b",), False, 5)))


def test_parentheses_group() -> None:
    tree = parse("(a OR b) AND c")
    assert isinstance(tree, AllOf)
    assert isinstance(tree.children[0], AnyOf)


def test_field_group_applies_the_field_to_every_value() -> None:
    assert parse("f:(a OR b)") == AnyOf(
        (Match("f", ("a",), False, 3), Match("f", ("b",), False, 8))
    )


def test_ranges_inclusive_exclusive_and_open() -> None:
    assert parse("p:[1 TO 5}") == AllOf(
        (Compare("p", CompareOperators.GTE, 1, 0), Compare("p", CompareOperators.LT, 5, 0))
    )
    assert parse("p:{1.5 TO *]") == Compare("p", CompareOperators.GT, 1.5, 0)


def test_networks_by_cidr_or_whole_octet_wildcards() -> None:
    assert parse("source.ip:10.1.*") == InNetwork("source.ip", ip_network("10.1.0.0/16"), 10)
    assert parse("ip:10.0.0.0/8") == InNetwork("ip", ip_network("10.0.0.0/8"), 3)
    assert parse(r"ip:2001\:db8\:\:/32") == InNetwork("ip", ip_network("2001:db8::/32"), 3)
    assert isinstance(parse("ip:10.0.0.1*"), Match)  # not whole octets: a wildcard match
    assert isinstance(parse("10.1.*"), Match)  # free text stays text
    assert isinstance(parse('ip:"10.0.0.0/8"'), Match)  # quoted: literal


def test_comparisons() -> None:
    assert parse("bytes>=100") == Compare("bytes", CompareOperators.GTE, 100, 0)
    assert parse("bytes < -3") == Compare("bytes", CompareOperators.LT, -3, 0)


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("a AND", 5, "the end of the query"),
        ("(a OR b", 7, "')' to close the '(' at position 0"),
        ("a)", 1, "unexpected ')'"),
        ('"open', 0, "no closing"),
        ("f:", 2, "expected a value after 'f:'"),
        ("f:[1 TO x]", 8, "a number or *"),
        ("f:[1 5]", 5, "TO between"),
        ("f:[* TO *]", 2, "at least one bound"),
        ("f:[1 TO 2", 9, "to close the range"),
        ("bytes > many", 8, "a number after 'bytes'"),
        ("a = b", 2, "use ':'"),
        ("'bad field':x", 5, "'field'' is not a field name"),
        ("9lives:x", 0, "not a field name"),
        ("*", 0, "matches everything"),
        ("trailing\\", 8, "escapes nothing"),
    ],
)
def test_invalid_queries_say_what_and_where(text: str, position: int, says: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert says in caught.value.reason
    assert f"position {position}" in str(caught.value)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x08"])
def test_control_characters_are_refused_where_they_are(char: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(f"user.name:ro{char}ot")
    assert caught.value.position == 12


def test_huge_input_is_refused_before_any_work() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("a " * MAX_QUERY_LENGTH)
    assert "longer than" in caught.value.reason


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    for text in [
        "(" * (MAX_DEPTH + 5) + "a" + ")" * (MAX_DEPTH + 5),
        "NOT " * (MAX_DEPTH + 5) + "a",
    ]:
        with pytest.raises(QuerySyntaxError) as caught:
            parse(text)
        assert "nested deeper" in caught.value.reason


def test_too_many_terms_are_refused() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(" ".join(f"t{i}" for i in range(MAX_TERMS + 1)))
    assert "terms" in caught.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE events; --",
        '"\'); DELETE FROM alerts; --"',
        "user.name:\"x' OR '1' LIKE '1\"",
        'host.name:"\\u0000"',
        "event.original:%_%",
    ],
)
def test_injection_attempts_become_bound_parameters_only(text: str) -> None:
    compiled = HUNT_COMPILERS.get("sqlite")(parse(text))
    assert compiled is not None
    # Nothing typed reaches the SQL text: only placeholders, keywords and field expressions.
    for fragment in ("DROP", "DELETE", "'1'", "OR '", "\\u0000", "%_%"):
        assert fragment not in compiled.sql
    assert compiled.params


def test_injection_attempts_stay_values_in_query_dsl() -> None:
    compiled = HUNT_COMPILERS.get("elasticsearch")(parse('"a\\" OR *:*"'))
    assert "query_string" not in repr(compiled)


def test_a_bad_field_name_is_an_error_at_its_position() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("a AND bad'field:x")
    assert caught.value.position == 6
    assert "not a field name" in caught.value.reason
