"""Squid access log: native, common and combined formats (lines in the shape of Squid's
documentation of ``logformat squid/common/combined``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.squid import parse_squid

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

NATIVE = (
    "1709622131.482    195 10.20.3.41 TCP_MISS/200 5123 GET "
    "http://cdn.example.com/tai-lieu/bao%20cao.exe?id=7&q=a+b - HIER_DIRECT/203.0.113.10 "
    "application/octet-stream"
)
CONNECT = (
    "1709622131.482  60012 10.20.3.41 TCP_TUNNEL/200 5123 CONNECT dichvucong.gov.vn:443 "
    "- HIER_DIRECT/14.225.0.10 -"
)
DENIED = "1709622131.500      0 10.20.3.42 TCP_DENIED/403 3940 GET http://bad.example/ - HIER_NONE/- text/html"
COMBINED = (
    '10.20.3.41 - nguyễn.văn.a [05/Mar/2024:14:02:11 +0700] "GET http://example.com/a.php?cmd=id '
    'HTTP/1.1" 200 512 "-" "curl/8.5.0" TCP_MISS:HIER_DIRECT'
)
COMMON = (
    '10.20.3.41 - - [05/Mar/2024:14:02:11 +0700] "CONNECT mail.example.com:443 HTTP/1.1" 200 '
    "1870 TCP_TUNNEL:HIER_DIRECT"
)


def test_native_line(make_origin: OriginFactory) -> None:
    fields = parse_squid(NATIVE, make_origin("squid"))
    assert fields["event.dataset"] == "squid.access"
    assert fields["@timestamp"] == "2024-03-05T07:02:11.482000Z"
    assert fields["event.duration"] == 195_000_000
    assert fields["source.ip"] == "10.20.3.41"
    assert fields["http.response.status_code"] == 200
    assert fields["event.outcome"] == "success"
    assert fields["http.response.bytes"] == 5123
    assert fields["http.request.method"] == "GET"
    assert fields["url.domain"] == "cdn.example.com"
    assert fields["destination.domain"] == "cdn.example.com"
    assert fields["destination.ip"] == "203.0.113.10"
    assert fields["url.path"] == "/tai-lieu/bao cao.exe"
    assert fields["url.query"] == "id=7&q=a b"
    assert fields["url.extension"] == "exe"
    assert fields["http.response.mime_type"] == "application/octet-stream"
    assert fields["hanoi.squid.result_code"] == "TCP_MISS"
    assert fields["hanoi.squid.hierarchy_code"] == "HIER_DIRECT"
    assert "user.name" not in fields


def test_connect_names_host_and_port(make_origin: OriginFactory) -> None:
    fields = parse_squid(CONNECT, make_origin("squid"))
    assert fields["url.domain"] == "dichvucong.gov.vn"
    assert fields["destination.port"] == 443
    assert fields["http.request.method"] == "CONNECT"
    assert "url.path" not in fields
    assert "http.response.mime_type" not in fields


def test_denied_is_a_failure(make_origin: OriginFactory) -> None:
    fields = parse_squid(DENIED, make_origin("squid"))
    assert fields["event.outcome"] == "failure"
    assert fields["event.type"] == ["access", "denied"]
    assert "hanoi.squid.peer_host" not in fields


def test_combined_with_vietnamese_user(make_origin: OriginFactory) -> None:
    fields = parse_squid(COMBINED, make_origin("squid"))
    assert fields["@timestamp"] == "2024-03-05T07:02:11.000000Z"
    assert fields["user.name"] == "nguyễn.văn.a"
    assert fields["user_agent.original"] == "curl/8.5.0"
    assert fields["url.query"] == "cmd=id"
    assert fields["http.version"] == "1.1"
    assert fields["hanoi.squid.result_code"] == "TCP_MISS"


def test_common_connect(make_origin: OriginFactory) -> None:
    fields = parse_squid(COMMON, make_origin("squid"))
    assert fields["url.domain"] == "mail.example.com"
    assert fields["destination.port"] == 443
    assert fields["hanoi.squid.hierarchy_code"] == "HIER_DIRECT"


@pytest.mark.parametrize(
    "line",
    [
        "hello world",
        "1709622131.482 195 10.0.0.1 lowercase/200 1 GET http://a/ - DIRECT/- -",
        "1709622131.482 x 10.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/- -",
        "99999999999999999999999999.1 1 10.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/- -",
    ],
)
def test_not_squid_is_refused(line: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="not a Squid access log line"):
        parse_squid(line, make_origin("squid"))


def test_hostile_urls_do_not_crash(event_fields: EventFields) -> None:
    bad_port = "1709622131.482 1 10.0.0.1 TCP_MISS/200 1 GET http://a:99999999/ - DIRECT/- -"
    assert event_fields(bad_port, "squid")["url.original"] == "http://a:99999999/"
    bracket = "1709622131.482 1 10.0.0.1 TCP_MISS/200 1 GET http://[::1/ - DIRECT/- -"
    assert event_fields(bracket, "squid")["url.original"] == "http://[::1/"
    huge = "1709622131.482 1 10.0.0.1 TCP_MISS/200 1 GET http://a/" + "%25" * 300_000 + " - D/- -"
    assert "url.path" not in event_fields(huge, "squid")


def test_garbage_bytes_become_a_dead_letter(dead_letter: DeadLetterOf) -> None:
    letter = dead_letter(b"\xff\xfe\x00garbage \xc3(", "squid")
    assert "Squid" in letter.reason or "binary" in letter.reason
