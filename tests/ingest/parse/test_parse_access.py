"""The nginx and apache access log parsers (combined, common, and nginx extra fields)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from canhgac.errors import ParseError
from ingest.parse.access import decode_url_part, parse_apache, parse_nginx, split_request
from ingest.parse.base import Origin

OriginFactory = Callable[..., Origin]
UA = "Mozilla/5.0 (Linux; Android 13; SM-A525F) AppleWebKit/537.36 Chrome/122.0 Mobile"
COMBINED = (
    '203.0.113.7 - - [05/Mar/2024:14:02:11 +0700] "GET /dich-vu-cong/ho-so?ma=HS000123&'
    'ten=Nguy%E1%BB%85n+V%C4%83n+An HTTP/1.1" 200 5123 "https://dichvucong.hanoi.gov.vn/" '
    f'"{UA}"'
)


def test_combined_line(make_origin: OriginFactory) -> None:
    fields = parse_nginx(COMBINED, make_origin("nginx", extra={"host.name": "dvc-web01"}))
    assert fields == {
        "event.dataset": "nginx.access",
        "event.module": "nginx",
        "event.category": "web",
        "@timestamp": "2024-03-05T07:02:11.000000Z",
        "source.ip": "203.0.113.7",
        "http.request.method": "GET",
        "url.original": "/dich-vu-cong/ho-so?ma=HS000123&ten=Nguy%E1%BB%85n+V%C4%83n+An",
        "url.path": "/dich-vu-cong/ho-so",
        "url.query": "ma=HS000123&ten=Nguyễn Văn An",
        "http.version": "1.1",
        "http.response.status_code": 200,
        "event.outcome": "success",
        "http.response.body.bytes": 5123,
        "http.request.referrer": "https://dichvucong.hanoi.gov.vn/",
        "user_agent.original": UA,
        "host.name": "dvc-web01",
    }


def test_apache_dataset_and_common_log_format(make_origin: OriginFactory) -> None:
    fields = parse_apache(
        '10.0.0.9 - nguyenvana [05/Mar/2024:14:02:11 -0500] "POST /api/v1/ho-so HTTP/1.0" 401 -',
        make_origin("apache"),
    )
    assert {
        key: fields.get(key, "<absent>")
        for key in (
            "event.dataset",
            "event.module",
            "user.name",
            "@timestamp",
            "http.response.status_code",
            "event.outcome",
            "http.response.body.bytes",
            "http.request.referrer",
            "http.version",
        )
    } == {
        "event.dataset": "apache.access",
        "event.module": "apache",
        "user.name": "nguyenvana",
        "@timestamp": "2024-03-05T19:02:11.000000Z",
        "http.response.status_code": 401,
        "event.outcome": "failure",
        "http.response.body.bytes": 0,  # Apache's %b writes "-" for no body
        "http.request.referrer": "<absent>",
        "http.version": "1.0",
    }


def test_nginx_extra_trailing_fields(make_origin: OriginFactory) -> None:
    fields = parse_nginx(COMBINED + ' "198.51.100.2, 10.0.0.1" rt=0.052 uct="0.000"', make_origin())
    assert fields["nginx.access.extra"] == '"198.51.100.2, 10.0.0.1" rt=0.052 uct="0.000"'
    assert (fields["nginx.access.rt"], fields["nginx.access.uct"]) == ("0.052", "0.000")
    assert fields["user_agent.original"] == UA


def test_double_encoding_is_decoded_for_path_and_query(make_origin: OriginFactory) -> None:
    line = (
        '198.51.100.23 - - [05/Mar/2024:14:02:11 +0700] "GET /tim-kiem/%253Cscript%253E?q='
        '%253Cscript%253Ealert(1)%253C%252Fscript%253E&a=1%2B1 HTTP/1.1" 403 153 "-" "curl/8.5"'
    )
    fields = parse_nginx(line, make_origin())
    assert fields["url.path"] == "/tim-kiem/<script>"
    assert fields["url.query"] == "q=<script>alert(1)</script>&a=1+1"
    assert fields["url.original"].startswith("/tim-kiem/%253Cscript%253E?q=")
    assert "http.request.referrer" not in fields


@pytest.mark.parametrize(
    ("text", "plus", "expected"),
    [
        ("a%20b", False, "a b"),
        ("a+b", True, "a b"),
        ("a+b", False, "a+b"),
        ("%2B", True, "+"),  # an encoded plus stays a plus
        ("%25252541", False, "%41"),  # three rounds at most
        ("%E1%BB%85", False, "ễ"),
        ("%ZZ", False, "%ZZ"),
    ],
)
def test_decode_url_part(text: str, plus: bool, expected: str) -> None:
    assert decode_url_part(text, plus) == expected


def test_html_in_request_is_kept_literally(make_origin: OriginFactory) -> None:
    line = (
        '203.0.113.8 - - [05/Mar/2024:14:02:11 +0700] "GET /?q=<script>alert(\\"x\\")</script> '
        'HTTP/1.1" 200 1 "-" "<img src=x onerror=alert(1)>"'
    )
    fields = parse_nginx(line, make_origin())
    assert fields["url.query"] == 'q=<script>alert(\\"x\\")</script>'
    assert fields["user_agent.original"] == "<img src=x onerror=alert(1)>"


def test_absolute_uri_and_spaces_in_target(make_origin: OriginFactory) -> None:
    proxy = parse_nginx(
        '203.0.113.8 - - [05/Mar/2024:14:02:11 +0700] "GET http://example.com/a%20b?x=1 HTTP/1.1"'
        ' 200 1 "-" "-"',
        make_origin(),
    )
    assert (proxy["url.domain"], proxy["url.path"], proxy["url.query"]) == (
        "example.com",
        "/a b",
        "x=1",
    )
    spaced = parse_nginx(
        '203.0.113.8 - - [05/Mar/2024:14:02:11 +0700] "GET /a b c HTTP/1.1" 400 1 "-" "-"',
        make_origin(),
    )
    assert (spaced["url.original"], spaced["http.version"]) == ("/a b c", "1.1")


def test_malformed_request_and_ipv6_client(make_origin: OriginFactory) -> None:
    fields = parse_nginx(
        '2001:db8::1 - - [05/Mar/2024:14:02:11 +0700] "\\x16\\x03\\x01\\x02\\x00\\x01" 400 157 '
        '"-" "-"',
        make_origin(),
    )
    assert fields["source.ip"] == "2001:db8::1"
    assert fields["tags"] == ["malformed_request"]
    assert "http.request.method" not in fields


def test_bad_time_falls_back(make_origin: OriginFactory) -> None:
    fields = parse_nginx(COMBINED.replace("05/Mar/2024", "05/Foo/2024"), make_origin())
    assert fields["event.timestamp_fallback"] is True
    assert "@timestamp" not in fields


@pytest.mark.parametrize("line", ["garbage", "", "1.2.3.4 - - [x] GET / 200 1"])
def test_not_an_access_line(line: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="not an nginx access log line"):
        parse_nginx(line, make_origin())
    with pytest.raises(ParseError, match="not an Apache access log line"):
        parse_apache(line, make_origin())


@pytest.mark.parametrize(
    ("request_line", "expected"),
    [
        ("GET / HTTP/1.1", ("GET", "/", "1.1")),
        ("GET /a b c HTTP/2.0", ("GET", "/a b c", "2.0")),
        ("GET /legacy", ("GET", "/legacy", None)),
        ("PROPFIND /dav HTTP/2", ("PROPFIND", "/dav", "2")),
        ("GET / HTTP", ("GET", "/ HTTP", None)),
        ("-", None),
        ("GET", None),
        ("GET  /double-space HTTP/1.1", None),
        ("\\x16\\x03\\x01", None),
    ],
)
def test_split_request(request_line: str, expected: tuple[str, str, str | None] | None) -> None:
    assert split_request(request_line) == expected


def test_decoded_url_parts_are_nfc() -> None:
    # "quản-trị" percent-encoded in decomposed form (NFD): stored text must still be NFC.
    decoded = decode_url_part("/qua%CC%89n-tri%CC%A3/", False)
    assert decoded == "/quản-trị/"
    assert unicodedata.is_normalized("NFC", decoded)
