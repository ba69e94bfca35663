"""One field against one value, per Elasticsearch field type (alerting.detect.compile.elasticsearch.leaves)."""

from __future__ import annotations

import ipaddress
import random
import re
from typing import Any

import pytest
from sigma.types import CompareOperators, SigmaString

from alerting.detect.compile.elasticsearch import leaves as es_leaves
from alerting.detect.compile.elasticsearch.fields import EventMapping, FieldKind
from alerting.detect.compile.elasticsearch.leaves import (
    MATCH_NONE,
    ipv4_network_regex,
    octet_regex,
)
from alerting.detect.compile.elasticsearch.strings import NotSupportedOnElasticsearch

MAPPING = EventMapping()
TABLES = [name for name in dir(es_leaves) if name.endswith("_QUERIES")]


@pytest.mark.parametrize("table", TABLES)
def test_every_builder_table_covers_every_field_kind(table: str) -> None:
    assert set(getattr(es_leaves, table)) == set(FieldKind)


def _string(kind: FieldKind, value: str, cased: bool = False) -> Any:
    parts = SigmaString(value).s
    return es_leaves.STRING_QUERIES[kind]("f", kind, parts, cased, MAPPING)


def test_ascii_strings_fold_ascii_case_like_sqlite_like() -> None:
    assert _string(FieldKind.KEYWORD, "Admin") == {
        "term": {"f": {"value": "Admin", "case_insensitive": True}}
    }
    assert _string(FieldKind.KEYWORD, "/admin/*") == {
        "prefix": {"f": {"value": "/admin/", "case_insensitive": True}}
    }
    assert _string(FieldKind.KEYWORD, "*\\cmd.exe") == {
        "wildcard": {"f": {"value": "*\\\\cmd.exe", "case_insensitive": True}}
    }


def test_values_without_letters_need_no_folding() -> None:
    # A plain term also works when a dynamic mapping made the field numeric.
    assert _string(FieldKind.KEYWORD, "4624") == {"term": {"f": "4624"}}
    assert _string(FieldKind.KEYWORD, "*/8*") == {"wildcard": {"f": {"value": "*/8*"}}}


def test_wildcard_metacharacters_in_text_are_escaped() -> None:
    assert _string(FieldKind.KEYWORD, "a\\*b?c*") == {
        "wildcard": {"f": {"value": "a\\*b?c*", "case_insensitive": True}}
    }


def test_non_ascii_values_become_fold_regexes() -> None:
    query = _string(FieldKind.KEYWORD, "*Nguyễn*")
    regex = query["regexp"]["f"]["value"]
    assert re.fullmatch(regex, "ông NGUYỄN văn", re.DOTALL)
    assert not re.fullmatch(regex, "ông Nguyen", re.DOTALL)


def test_cased_values_are_exact() -> None:
    assert _string(FieldKind.KEYWORD, "Admin", cased=True) == {"term": {"f": "Admin"}}


def test_strings_on_numeric_fields() -> None:
    assert _string(FieldKind.NUMBER, "404") == {"term": {"f": 404}}
    assert _string(FieldKind.NUMBER, "1.5") == {"term": {"f": 1.5}}
    assert _string(FieldKind.NUMBER, "not found") == MATCH_NONE
    with pytest.raises(NotSupportedOnElasticsearch, match="write it as stored"):
        _string(FieldKind.NUMBER, "0404")
    with pytest.raises(NotSupportedOnElasticsearch, match="startswith"):
        _string(FieldKind.NUMBER, "4*")


def test_strings_on_ip_fields() -> None:
    assert _string(FieldKind.IP, "10.0.0.1") == {"term": {"f": "10.0.0.1"}}
    with pytest.raises(NotSupportedOnElasticsearch, match="use \\|cidr"):
        _string(FieldKind.IP, "10.*")
    with pytest.raises(NotSupportedOnElasticsearch, match="non-address"):
        _string(FieldKind.IP, "gateway")


def test_comparisons_need_a_numeric_mapping() -> None:
    compare = es_leaves.COMPARE_QUERIES
    assert compare[FieldKind.NUMBER]("f", FieldKind.NUMBER, CompareOperators.GTE, 5) == {
        "range": {"f": {"gte": 5}}
    }
    with pytest.raises(NotSupportedOnElasticsearch, match="numeric comparison"):
        compare[FieldKind.KEYWORD]("f", FieldKind.KEYWORD, CompareOperators.GT, 5)


def _cidr(kind: FieldKind, network: str) -> Any:
    return es_leaves.CIDR_QUERIES[kind]("f", kind, ipaddress.ip_network(network), MAPPING)


def test_cidr_on_ip_fields_keeps_ipv4_out_of_ipv6_networks() -> None:
    assert _cidr(FieldKind.IP, "10.0.0.0/8") == {"term": {"f": "10.0.0.0/8"}}
    assert _cidr(FieldKind.IP, "2001:db8::/32") == {"term": {"f": "2001:db8::/32"}}
    wide = _cidr(FieldKind.IP, "::/0")
    assert wide["bool"]["must_not"] == [
        {"range": {"f": {"gte": "0.0.0.0", "lte": "255.255.255.255"}}}
    ]
    assert _cidr(FieldKind.IP, "::ffff:10.0.0.0/104") == MATCH_NONE


def test_ipv6_cidr_on_keyword_fields_is_refused() -> None:
    with pytest.raises(NotSupportedOnElasticsearch, match="IPv6 \\|cidr"):
        _cidr(FieldKind.KEYWORD, "fe80::/10")


@pytest.mark.parametrize(("low", "high"), [(0, 255), (16, 31), (7, 123), (250, 255), (3, 250)])
def test_octet_regex_matches_exactly_the_range_without_leading_zeros(low: int, high: int) -> None:
    regex = re.compile(octet_regex(low, high))
    for number in range(1000):
        assert (regex.fullmatch(str(number)) is not None) == (low <= number <= high)
        assert regex.fullmatch(f"0{number}") is None


@pytest.mark.parametrize(
    "network", ["172.16.0.0/12", "10.0.0.0/8", "192.168.1.128/25", "0.0.0.0/0"]
)
def test_ipv4_network_regex_agrees_with_ipaddress(network: str) -> None:
    net = ipaddress.IPv4Network(network)
    regex = re.compile(ipv4_network_regex(net), re.DOTALL)
    rng = random.Random(network)
    for _ in range(3000):
        inside = int(net.network_address) + rng.randrange(net.num_addresses)
        address = ipaddress.IPv4Address(rng.choice([inside, rng.getrandbits(32)]))
        for text in (str(address), f"::ffff:{address}", f" {address}\t"):
            assert (regex.fullmatch(text) is not None) == (address in net), text
