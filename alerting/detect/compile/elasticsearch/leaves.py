"""One field compared with one Sigma value, as query DSL for the field's Elasticsearch type.

Each kind of value has a table from :class:`FieldKind` to a builder (a test checks every
table covers every kind). A builder either returns a query that matches exactly the events
the SQLite store matches, ``match_none`` where the SQLite store provably matches nothing
either (a non-number compared with a numeric field), or refuses the rule with the reason.
Refusing is the answer wherever Elasticsearch cannot express the comparison: a rule must never
run with a silently different meaning.

Differences that remain, by type (documented rather than refused, as no rule can avoid them):

* ``ip`` fields compare addresses, not their text: ``2001:0db8::1`` equals ``2001:db8::1``
  here; an unparseable stored value (``ignore_malformed``) matches nothing here;
* ``keyword`` values longer than the mapping's ``ignore_above`` are stored but not indexed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any

from sigma.types import CompareOperators

from alerting.detect.compile.elasticsearch.charsets import python_charset, render
from alerting.detect.compile.elasticsearch.fields import EventMapping, FieldKind
from alerting.detect.compile.elasticsearch.grams import gram_guarded
from alerting.detect.compile.elasticsearch.regex import lucene_regex
from alerting.detect.compile.elasticsearch.strings import (
    NotSupportedOnElasticsearch,
    Query,
    check_regex_length,
    compared_segments,
    exact_string,
    folded_string,
    joined_text,
    regexp,
)
from alerting.detect.compile.patterns import StringPart

MATCH_NONE: Query = {"match_none": {}}
_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_RANGE_OPS = {
    CompareOperators.LT: "lt",
    CompareOperators.LTE: "lte",
    CompareOperators.GT: "gt",
    CompareOperators.GTE: "gte",
}
# Elasticsearch stores IPv4 addresses as IPv4-mapped IPv6 ones; the SQLite store never counts
# an IPv4 address (mapped or not) as inside an IPv6 network, so such networks exclude them.
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def refuse(field: str, kind: FieldKind, what: str) -> NotSupportedOnElasticsearch:
    return NotSupportedOnElasticsearch(
        f"{what} on field '{field}', which Elasticsearch indexes as {kind.value}, "
        "is not supported on Elasticsearch"
    )


def _refuser(what: str) -> Callable[..., Query]:
    def build(field: str, kind: FieldKind, *_: Any) -> Query:
        raise refuse(field, kind, what)

    return build


# --- strings ----------------------------------------------------------------------------------
StringBuilder = Callable[[str, FieldKind, Sequence[StringPart], bool, EventMapping], Query]


def _keyword_string(
    field: str, kind: FieldKind, parts: Sequence[StringPart], cased: bool, mapping: EventMapping
) -> Query:
    doc_values_only = field in mapping.doc_values_only
    if cased:
        query = exact_string(field, parts, doc_values_only)
    else:
        query = folded_string(field, parts, mapping.max_regex_length, doc_values_only)
    return gram_guarded(query, field, mapping, compared_segments(parts, cased))


def _number_string(
    field: str, kind: FieldKind, parts: Sequence[StringPart], cased: bool, mapping: EventMapping
) -> Query:
    # The SQLite store compares the stored number's text: '404' matches 404, 'abc' nothing.
    text, wildcards = joined_text(parts)
    if wildcards:
        raise refuse(field, kind, "a wildcard, contains, startswith or endswith match")
    if _CANONICAL_INT.fullmatch(text):
        return {"term": {field: int(text)}}
    try:
        number = float(text)
    except ValueError:
        return MATCH_NONE
    if repr(number) == text:
        return {"term": {field: number}}
    raise refuse(field, kind, f"the number written as {text!r} (write it as stored)")


def _ip_string(
    field: str, kind: FieldKind, parts: Sequence[StringPart], cased: bool, mapping: EventMapping
) -> Query:
    text, wildcards = joined_text(parts)
    if wildcards:
        raise refuse(field, kind, "a wildcard, contains, startswith or endswith match (use |cidr)")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise refuse(field, kind, f"the non-address value {text!r}") from None
    return {"term": {field: text}}


STRING_QUERIES: dict[FieldKind, StringBuilder] = {
    FieldKind.KEYWORD: _keyword_string,
    FieldKind.NUMBER: _number_string,
    FieldKind.IP: _ip_string,
    FieldKind.DATE: _refuser("a string match"),
    FieldKind.BOOLEAN: _refuser("a string match"),
    FieldKind.TEXT: _refuser("a string match"),
}


# --- numbers and booleans ---------------------------------------------------------------------
NumberBuilder = Callable[[str, FieldKind, int | float, EventMapping], Query]


def _keyword_number(
    field: str, kind: FieldKind, number: int | float, mapping: EventMapping
) -> Query:
    # The SQLite store matches the number or its text; a keyword holds both as text.
    text = str(number)
    return gram_guarded({"term": {field: text}}, field, mapping, [text])


NUMBER_QUERIES: dict[FieldKind, NumberBuilder] = {
    FieldKind.KEYWORD: _keyword_number,
    FieldKind.NUMBER: lambda field, kind, number, mapping: {"term": {field: number}},
    FieldKind.IP: lambda field, kind, number, mapping: MATCH_NONE,
    FieldKind.DATE: _refuser("a number match"),
    FieldKind.BOOLEAN: _refuser("a number match"),
    FieldKind.TEXT: _refuser("a number match"),
}

BoolBuilder = Callable[[str, FieldKind, bool], Query]


def _bool_term(field: str, kind: FieldKind, value: bool) -> Query:
    return {"term": {field: value}}


BOOL_QUERIES: dict[FieldKind, BoolBuilder] = {
    FieldKind.KEYWORD: _bool_term,
    FieldKind.BOOLEAN: _bool_term,
    FieldKind.NUMBER: _refuser("a boolean match"),
    FieldKind.IP: _refuser("a boolean match"),
    FieldKind.DATE: _refuser("a boolean match"),
    FieldKind.TEXT: _refuser("a boolean match"),
}


# --- comparisons ------------------------------------------------------------------------------
CompareBuilder = Callable[[str, FieldKind, CompareOperators, int | float], Query]


def _number_compare(
    field: str, kind: FieldKind, op: CompareOperators, number: int | float
) -> Query:
    if op is CompareOperators.NEQ:
        return {
            "bool": {
                "filter": [{"exists": {"field": field}}],
                "must_not": [{"term": {field: number}}],
            }
        }
    return {"range": {field: {_RANGE_OPS[op]: number}}}


_COMPARE_REFUSAL = "a numeric comparison (|gt, |gte, |lt, |lte, |neq)"
COMPARE_QUERIES: dict[FieldKind, CompareBuilder] = {
    FieldKind.NUMBER: _number_compare,
    # Range queries on keywords compare text ("9" > "10"); only numeric mappings compare numbers.
    FieldKind.KEYWORD: _refuser(_COMPARE_REFUSAL),
    FieldKind.IP: _refuser(_COMPARE_REFUSAL),
    FieldKind.DATE: _refuser(_COMPARE_REFUSAL),
    FieldKind.BOOLEAN: _refuser(_COMPARE_REFUSAL),
    FieldKind.TEXT: _refuser(_COMPARE_REFUSAL),
}


# --- regular expressions ----------------------------------------------------------------------
RegexBuilder = Callable[[str, FieldKind, str, EventMapping], Query]


def _keyword_regex(field: str, kind: FieldKind, pattern: str, mapping: EventMapping) -> Query:
    regex = lucene_regex(pattern)
    if regex is None:
        return MATCH_NONE
    check_regex_length(regex, mapping.max_regex_length, f"the regex {pattern!r}")
    return regexp(field, regex)


_REGEX_REFUSAL = "a regular expression match"
REGEX_QUERIES: dict[FieldKind, RegexBuilder] = {
    FieldKind.KEYWORD: _keyword_regex,
    FieldKind.NUMBER: _refuser(_REGEX_REFUSAL),
    FieldKind.IP: _refuser(_REGEX_REFUSAL),
    FieldKind.DATE: _refuser(_REGEX_REFUSAL),
    FieldKind.BOOLEAN: _refuser(_REGEX_REFUSAL),
    FieldKind.TEXT: _refuser(_REGEX_REFUSAL),
}


# --- networks ---------------------------------------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
CidrBuilder = Callable[[str, FieldKind, Network, EventMapping], Query]


def _ip_cidr(field: str, kind: FieldKind, network: Network, mapping: EventMapping) -> Query:
    query: Query = {"term": {field: str(network)}}
    if network.version == 4 or not network.overlaps(_IPV4_MAPPED):
        return query
    if network.subnet_of(_IPV4_MAPPED):  # type: ignore[arg-type]
        # Only IPv4-mapped addresses, which the SQLite store reads as IPv4: nothing matches
        # (and Elasticsearch rejects such a CIDR as ambiguous).
        return MATCH_NONE
    return {"bool": {"filter": [query], "must_not": [_ipv4_addresses(field)]}}


def _ipv4_addresses(field: str) -> Query:
    # Elasticsearch rejects the CIDR ::ffff:0:0/96 but takes the IPv4 range, stored the same.
    return {"range": {field: {"gte": "0.0.0.0", "lte": "255.255.255.255"}}}


def _keyword_cidr(field: str, kind: FieldKind, network: Network, mapping: EventMapping) -> Query:
    if not isinstance(network, ipaddress.IPv4Network):
        raise refuse(field, kind, "an IPv6 |cidr match (map the field as ip)")
    return regexp(field, ipv4_network_regex(network))


CIDR_QUERIES: dict[FieldKind, CidrBuilder] = {
    FieldKind.IP: _ip_cidr,
    FieldKind.KEYWORD: _keyword_cidr,
    # The SQLite store reads only text as an address.
    FieldKind.NUMBER: lambda field, kind, network, mapping: MATCH_NONE,
    FieldKind.DATE: _refuser("a |cidr match"),
    FieldKind.BOOLEAN: _refuser("a |cidr match"),
    FieldKind.TEXT: _refuser("a |cidr match"),
}


def _digits_range(low: str, high: str) -> str:
    """A regex for the decimal numbers from ``low`` to ``high``, both of one length."""
    if low == high:
        return low
    if (low, high) == ("0" * len(low), "9" * len(low)):
        return "[0-9]" * len(low)
    if len(low) == 1:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return low[0] + _digits_range(low[1:], high[1:])
    rest = len(low) - 1
    parts = [low[0] + _digits_range(low[1:], "9" * rest)]
    if int(high[0]) - int(low[0]) > 1:
        middle = _digits_range(str(int(low[0]) + 1), str(int(high[0]) - 1))
        parts.append(middle + "[0-9]" * rest)
    parts.append(high[0] + _digits_range("0" * rest, high[1:]))
    return "(" + "|".join(parts) + ")"


def octet_regex(low: int, high: int) -> str:
    """A regex for the numbers ``low``..``high`` (0-255) written without leading zeros."""
    if (low, high) == (0, 255):
        return "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
    pieces = []
    for digits in (1, 2, 3):
        start, end = max(low, 10 ** (digits - 1) if digits > 1 else 0), min(high, 10**digits - 1)
        if start <= end:
            pieces.append(_digits_range(str(start), str(end)))
    return pieces[0] if len(pieces) == 1 else "(" + "|".join(pieces) + ")"


def ipv4_network_regex(network: ipaddress.IPv4Network) -> str:
    """The textual IPv4 addresses in ``network`` as the SQLite store's ``cg_cidr`` reads them:
    dotted quads without leading zeros, optionally IPv4-mapped (``::ffff:``), surrounded by
    optional whitespace (it strips the value). Other spellings of a mapped address
    (``0:0:0:0:0:ffff:...``) are not matched here."""
    first = network.network_address.packed
    last = network.broadcast_address.packed
    octets = [octet_regex(low, high) for low, high in zip(first, last, strict=True)]
    space = render(python_charset(r"\s", 0)) or " "
    mapped = "(::[fF][fF][fF][fF]:)?"
    dotted = "\\.".join(octets)
    return f"({space})*{mapped}{dotted}({space})*"
