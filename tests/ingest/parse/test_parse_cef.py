"""The CEF parser, with and without a syslog header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.base import Origin
from ingest.parse.cef import extensions, parse_cef

OriginFactory = Callable[..., Origin]

WAF = (
    "CEF:0|Imperva Inc.|SecureSphere|14.7|9010|SQL Injection \\| union select|8|"
    "rt=1709622131482 src=203.0.113.50 spt=44321 dst=10.0.0.20 dpt=443 "
    "suser=Nguyễn Văn An act=blocked request=https://dichvucong.hanoi.gov.vn/ho-so?ma=1 "
    "requestMethod=GET app=HTTPS proto=TCP msg=Tấn công bị chặn a\\=b c\\\\d "
    "shost=attacker.example dhost=dichvucong.hanoi.gov.vn cs1Label=Policy cs1=Hanoi DVC"
)


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


def test_header_and_ecs_mapping(make_origin: OriginFactory) -> None:
    fields = parse_cef(WAF, make_origin("cef"))
    assert pick(
        fields,
        "event.dataset",
        "event.module",
        "cef.version",
        "observer.vendor",
        "observer.product",
        "observer.version",
        "event.code",
        "cef.name",
        "event.severity",
        "message",
        "@timestamp",
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "source.user.name",
        "event.action",
        "url.original",
        "http.request.method",
        "network.protocol",
        "network.transport",
        "source.domain",
        "destination.domain",
    ) == {
        "event.dataset": "cef",
        "event.module": "cef",
        "cef.version": "0",
        "observer.vendor": "Imperva Inc.",
        "observer.product": "SecureSphere",
        "observer.version": "14.7",
        "event.code": "9010",
        "cef.name": "SQL Injection | union select",
        "event.severity": 8,
        "message": "Tấn công bị chặn a=b c\\d",
        "@timestamp": "2024-03-05T07:02:11.482000Z",
        "source.ip": "203.0.113.50",
        "source.port": 44321,
        "destination.ip": "10.0.0.20",
        "destination.port": 443,
        "source.user.name": "Nguyễn Văn An",
        "event.action": "blocked",
        "url.original": "https://dichvucong.hanoi.gov.vn/ho-so?ma=1",
        "http.request.method": "GET",
        "network.protocol": "HTTPS",
        "network.transport": "tcp",
        "source.domain": "attacker.example",
        "destination.domain": "dichvucong.hanoi.gov.vn",
    }
    assert fields["cef.extensions.cs1"] == "Hanoi DVC"
    assert fields["cef.extensions.cs1Label"] == "Policy"


def test_extension_values_with_spaces_and_escapes() -> None:
    assert extensions("msg=a b  c\\=d e\\\\ f=1 g=x\\ny") == {
        "msg": "a b  c=d e\\",
        "f": "1",
        "g": "x\ny",
    }
    assert extensions("") == {}


@pytest.mark.parametrize(
    ("prefix", "host"),
    [
        ("<134>Mar  5 14:02:11 waf01 ", "waf01"),
        ("<134>1 2024-03-05T14:02:11+07:00 waf01 imperva - - - ", "waf01"),
        ("Mar  5 14:02:11 waf01 SecureSphere: ", "waf01"),
    ],
)
def test_syslog_header(prefix: str, host: str, make_origin: OriginFactory) -> None:
    fields = parse_cef(prefix + WAF, make_origin())
    assert (fields["host.name"], fields["event.code"], fields["source.ip"]) == (
        host,
        "9010",
        "203.0.113.50",
    )
    # The CEF rt wins over the header's time.
    assert fields["@timestamp"] == "2024-03-05T07:02:11.482000Z"


@pytest.mark.parametrize(
    ("severity", "number"), [("Very-High", 10), ("Low", 3), ("Unknown", "<absent>")]
)
def test_named_severity(severity: str, number: Any, make_origin: OriginFactory) -> None:
    fields = parse_cef(f"CEF:0|V|P|1|1|N|{severity}|", make_origin())
    assert (fields["cef.severity"], fields.get("event.severity", "<absent>")) == (severity, number)


def test_text_receipt_time(make_origin: OriginFactory) -> None:
    fields = parse_cef("CEF:0|V|P|1|1|N|3|rt=Mar 05 2024 14:02:11 src=10.0.0.1", make_origin())
    assert fields["@timestamp"] == "2024-03-05T07:02:11.000000Z"
    bad = parse_cef("CEF:0|V|P|1|1|N|3|rt=never", make_origin())
    assert bad["event.timestamp_fallback"] is True


def test_unbalanced_and_html_payload_kept_literally(make_origin: OriginFactory) -> None:
    fields = parse_cef(
        'CEF:0|V|P|1|1|N|3|request=/"><script>alert(1)</script> msg="unclosed quote',
        make_origin(),
    )
    assert fields["url.original"] == '/"><script>alert(1)</script>'
    assert fields["message"] == '"unclosed quote'


@pytest.mark.parametrize(
    "line",
    [
        "CEF:0|only|four|fields",
        "hello",
        "<13>Mar  5 14:02:11 h app: no cef here",
        "CEF:x|a|b|c|d|e|f|",
    ],
)
def test_not_cef(line: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="not a CEF record"):
        parse_cef(line, make_origin())
