"""DNS server logs: BIND 9 query log and dnsmasq log-queries (lines in the shape BIND's ARM
and dnsmasq's man page document)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.dns import parse_bind, parse_dnsmasq

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

BIND_FILE = (
    "05-Mar-2024 14:02:11.482 queries: info: client @0x7f9b8c0a1b20 10.20.3.41#53211 "
    "(dichvucong.hanoi.gov.vn): query: dichvucong.hanoi.gov.vn IN A +E(0)K (10.20.1.2)"
)
BIND_SYSLOG = (
    "<30>Mar  5 14:02:12 ns1 named[812]: client @0x7f3a 2001:db8::5#40000 (x.example.): "
    "view internal: query: x.example. IN TXT -ET (2001:db8::53)"
)
BIND_OLD = "client 10.0.0.5#1053: query: www.example.com IN MX + (10.0.0.1)"


def test_bind_file_channel(make_origin: OriginFactory) -> None:
    fields = parse_bind(BIND_FILE, make_origin("bind"))
    assert fields["event.dataset"] == "bind.query"
    assert fields["@timestamp"] == "2024-03-05T07:02:11.482000Z"
    assert fields["dns.question.name"] == "dichvucong.hanoi.gov.vn"
    assert fields["dns.question.type"] == "A"
    assert fields["dns.question.class"] == "IN"
    assert fields["dns.type"] == "query"
    assert fields["source.ip"] == "10.20.3.41"
    assert fields["source.port"] == 53211
    assert fields["destination.ip"] == "10.20.1.2"
    assert fields["network.transport"] == "udp"
    assert fields["hanoi.bind.flags"] == "+E(0)K"
    assert fields["hanoi.bind.recursion_desired"] is True
    assert fields["event.category"] == ["network"]


def test_bind_over_syslog_with_view_ipv6_tcp(make_origin: OriginFactory) -> None:
    fields = parse_bind(BIND_SYSLOG, make_origin("bind"))
    assert fields["host.name"] == "ns1"
    assert fields["@timestamp"] == "2024-03-05T07:02:12.000000Z"
    assert fields["dns.question.name"] == "x.example"
    assert fields["dns.question.type"] == "TXT"
    assert fields["source.ip"] == "2001:db8::5"
    assert fields["hanoi.bind.view"] == "internal"
    assert fields["network.transport"] == "tcp"
    assert fields["hanoi.bind.recursion_desired"] is False


def test_bind_older_format(event_fields: EventFields) -> None:
    fields = event_fields(BIND_OLD, "bind")
    assert fields["dns.question.type"] == "MX"
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"  # no time in the line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mar  5 14:02:11 dnsmasq[1234]: query[A] example.com from 10.0.0.5",
         {"dns.type": "query", "dns.question.name": "example.com", "dns.question.type": "A",
          "source.ip": "10.0.0.5", "event.action": "dns-query"}),
        ("<30>Mar  5 14:02:11 gw dnsmasq[1234]: forwarded example.com to 8.8.8.8",
         {"dns.type": "query", "destination.ip": "8.8.8.8", "event.action": "dns-forwarded",
          "host.name": "gw"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: reply example.com is 93.184.216.34",
         {"dns.type": "answer", "dns.answers.data": "93.184.216.34",
          "dns.resolved_ip": "93.184.216.34", "dns.response_code": "NOERROR"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: reply bad.example is NXDOMAIN",
         {"dns.response_code": "NXDOMAIN", "event.outcome": "failure"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: cached www.example.com is <CNAME>",
         {"event.action": "dns-cached", "dns.answers.data": "<CNAME>"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: /etc/hosts may-in.noi-bo is 10.20.9.9",
         {"hanoi.dnsmasq.answer_source": "/etc/hosts", "dns.resolved_ip": "10.20.9.9"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: 12 10.0.0.5/53211 query[TXT] x.vn from 10.0.0.5",
         {"hanoi.dnsmasq.query_serial": 12, "source.port": 53211, "dns.question.type": "TXT"}),
        ("Mar  5 14:02:11 dnsmasq[1234]: started, version 2.89 cachesize 150",
         {"event.type": ["info"], "message": "started, version 2.89 cachesize 150"}),
    ],
)  # fmt: skip
def test_dnsmasq_lines(line: str, expected: dict[str, Any], make_origin: OriginFactory) -> None:
    fields = parse_dnsmasq(line, make_origin("dnsmasq"))
    assert fields["event.dataset"] == "dnsmasq.log"
    assert {key: fields.get(key) for key in expected} == expected


def test_vietnamese_idn_name_is_kept(event_fields: EventFields) -> None:
    fields = event_fields("Mar  5 14:02:11 dnsmasq[1]: query[A] hànội.vn from 10.0.0.5", "dnsmasq")
    assert fields["dns.question.name"] == "hànội.vn"


@pytest.mark.parametrize(
    ("parser", "line"),
    [
        ("bind", "hello world"),
        ("bind", "client 10.0.0.5#99999999: query: a IN A + (10.0.0.1)"),
        ("dnsmasq", "Mar  5 14:02:11 named[1]: query[A] a from 10.0.0.5"),
        ("dnsmasq", "query[A] a from 10.0.0.5"),
    ],
)
def test_other_lines_are_refused(parser: str, line: str, make_origin: OriginFactory) -> None:
    parse = parse_bind if parser == "bind" else parse_dnsmasq
    with pytest.raises(ParseError, match=f"not a {'BIND' if parser == 'bind' else 'dnsmasq'}"):
        parse(line, make_origin(parser))


@pytest.mark.parametrize("parser", ["bind", "dnsmasq"])
def test_garbage_becomes_a_dead_letter(parser: str, dead_letter: DeadLetterOf) -> None:
    letter = dead_letter("\ufffd\ufffd client #: query: ".encode() + b"\xff" * 50, parser)
    assert letter.reason


def test_huge_name_is_cut(event_fields: EventFields) -> None:
    name = "a" * 1000 + "." + "b" * 1000
    fields = event_fields(f"Mar  5 14:02:11 dnsmasq[1]: reply {name[:1024]} is 1.2.3.4", "dnsmasq")
    assert len(fields["dns.question.name"]) <= 1024
