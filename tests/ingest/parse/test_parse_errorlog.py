"""Apache and nginx error logs (``apache_error``, ``nginx_error``), bare and over syslog.

Formats, from the servers' sources:
- Apache 2.4 default ErrorLogFormat (server/log.c): ``[%{u}t] [%-m:%l] [pid %P:tid %T]
  (errno)Description: [client %a] AHnnnnn: message, referer: X``; ``%a`` is ``ip:port``.
  Over syslog (``ErrorLog syslog:local1``) the ``[time]`` is left out.
- Apache 2.2: ``[Sun Dec 01 10:00:00 2024] [error] [client 1.2.3.4] message``.
- nginx (ngx_log_error_core + ngx_http_log_error): ``yyyy/mm/dd hh:mm:ss [level] pid#tid:
  *conn message, client: A, server: S, request: "R", upstream: "U", host: "H", referrer: "F"``;
  with ``error_log syslog:server=...`` the same text follows ``nginx:``.
Every record's time is local time without an offset: the source's timezone applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.base import Origin
from ingest.parse.errorlog import parse_apache_error, parse_nginx_error

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]

APACHE_24 = (
    "[Sun Dec 01 10:00:00.123456 2024] [core:error] [pid 1234:tid 140245123456768] "
    "[client 203.0.113.5:51234] AH00126: Invalid URI in request GET /%2e%2e/%2e%2e/etc/passwd "
    "HTTP/1.1"
)
APACHE_24_OS_ERROR = (
    "[Sun Dec 01 10:00:01.000200 2024] [proxy_http:error] [pid 2211:tid 139912] "
    "(70007)The timeout specified has expired: [client 2001:db8::7:40112] AH01102: error "
    "reading status line from remote server 127.0.0.1:8080, referer: https://dichvucong.hanoi.gov.vn/"
)
APACHE_24_NO_CLIENT = (
    "[Sun Dec 01 09:59:58.000001 2024] [mpm_event:notice] [pid 812:tid 812] AH00489: "
    "Apache/2.4.58 (Ubuntu) configured -- resuming normal operations"
)
APACHE_24_PREFORK_PHP = (
    "[Sun Dec 01 10:00:02.500000 2024] [php:error] [pid 3001] [client 14.162.7.9:60001] "
    "PHP Warning:  Undefined variable $hoTen in /var/www/dvc/tra-cuu.php on line 42 "
    "(Họ tên công dân: Nguyễn Văn An)"
)
APACHE_22 = (
    "[Sun Dec 01 10:00:00 2024] [error] [client 198.51.100.23] File does not exist: "
    "/var/www/html/wp-login.php"
)
NGINX = (
    '2024/12/01 10:00:00 [error] 1234#1234: *5 open() "/var/www/x" failed (2: No such file or '
    'directory), client: 203.0.113.5, server: example.vn, request: "GET /x HTTP/1.1", host: '
    '"example.vn"'
)
NGINX_UPSTREAM = (
    "2024/12/01 10:00:03 [error] 1301#1301: *88 upstream timed out (110: Connection timed out) "
    "while reading response header from upstream, client: 113.160.4.5, server: "
    'dichvucong.hanoi.gov.vn, request: "POST /dich-vu-cong/nop-ho-so?ten=Tr%E1%BA%A7n HTTP/2.0", '
    'upstream: "http://10.20.1.21:8080/dich-vu-cong/nop-ho-so", host: '
    '"dichvucong.hanoi.gov.vn", referrer: "https://dichvucong.hanoi.gov.vn/"'
)
NGINX_NO_CONNECTION = "2024/12/01 09:59:00 [notice] 1200#1200: signal process started"


def test_apache_24_with_client_and_code(make_origin: OriginFactory) -> None:
    fields = parse_apache_error(APACHE_24, make_origin("apache_error"))
    assert fields == {
        "event.dataset": "apache.error",
        "event.module": "apache",
        "event.category": "web",
        "event.type": "error",
        "@timestamp": "2024-12-01T03:00:00.123456Z",  # 10:00 in Hanoi
        "log.level": "error",
        "apache.error.module": "core",
        "process.pid": 1234,
        "process.thread.id": 140245123456768,
        "source.ip": "203.0.113.5",
        "source.port": 51234,
        "error.code": "AH00126",
        "message": "AH00126: Invalid URI in request GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1",
        "http.request.method": "GET",
        "url.original": "/%2e%2e/%2e%2e/etc/passwd",
        "url.path": "/../../etc/passwd",
        "http.version": "1.1",
    }


def test_apache_24_os_error_ipv6_client_and_referer(make_origin: OriginFactory) -> None:
    fields = parse_apache_error(APACHE_24_OS_ERROR, make_origin("apache_error"))
    assert fields["source.ip"] == "2001:db8::7"
    assert fields["source.port"] == 40112
    assert fields["error.code"] == "AH01102"
    assert fields["apache.error.os_error"] == "(70007)The timeout specified has expired"
    assert fields["http.request.referrer"] == "https://dichvucong.hanoi.gov.vn/"
    assert fields["message"].startswith("AH01102: error reading status line")
    assert fields["apache.error.module"] == "proxy_http"


def test_apache_24_without_client(make_origin: OriginFactory) -> None:
    fields = parse_apache_error(APACHE_24_NO_CLIENT, make_origin("apache_error", timezone="UTC"))
    assert fields["@timestamp"] == "2024-12-01T09:59:58.000001Z"
    assert (fields["log.level"], fields["error.code"]) == ("notice", "AH00489")
    assert "source.ip" not in fields


def test_apache_24_prefork_keeps_vietnamese(make_origin: OriginFactory) -> None:
    fields = parse_apache_error(APACHE_24_PREFORK_PHP, make_origin("apache_error"))
    assert fields["process.pid"] == 3001 and "process.thread.id" not in fields
    assert fields["source.ip"] == "14.162.7.9"
    assert fields["message"].endswith("(Họ tên công dân: Nguyễn Văn An)")
    assert "error.code" not in fields


def test_apache_22(make_origin: OriginFactory) -> None:
    fields = parse_apache_error(APACHE_22, make_origin("apache_error"))
    assert fields["@timestamp"] == "2024-12-01T03:00:00.000000Z"
    assert fields["log.level"] == "error"
    assert "apache.error.module" not in fields and "source.port" not in fields
    assert fields["source.ip"] == "198.51.100.23"
    assert fields["file.path"] == "/var/www/html/wp-login.php"
    assert fields["message"] == "File does not exist: /var/www/html/wp-login.php"


def test_nginx(make_origin: OriginFactory) -> None:
    fields = parse_nginx_error(NGINX, make_origin("nginx_error"))
    assert fields == {
        "event.dataset": "nginx.error",
        "event.module": "nginx",
        "event.category": "web",
        "event.type": "error",
        "@timestamp": "2024-12-01T03:00:00.000000Z",
        "log.level": "error",
        "process.pid": 1234,
        "process.thread.id": 1234,
        "nginx.error.connection_id": 5,
        "message": NGINX.partition("*5 ")[2],
        "source.ip": "203.0.113.5",
        "nginx.error.server": "example.vn",
        "http.request.method": "GET",
        "url.original": "/x",
        "url.path": "/x",
        "http.version": "1.1",
        "url.domain": "example.vn",
        "file.path": "/var/www/x",
    }


def test_nginx_upstream_referrer_and_vietnamese_query(make_origin: OriginFactory) -> None:
    fields = parse_nginx_error(NGINX_UPSTREAM, make_origin("nginx_error"))
    assert fields["source.ip"] == "113.160.4.5"
    assert fields["http.request.method"] == "POST"
    assert fields["url.query"] == "ten=Trần"
    assert fields["http.version"] == "2.0"
    assert fields["nginx.error.upstream"] == "http://10.20.1.21:8080/dich-vu-cong/nop-ho-so"
    assert fields["http.request.referrer"] == "https://dichvucong.hanoi.gov.vn/"
    assert fields["url.domain"] == "dichvucong.hanoi.gov.vn"


def test_nginx_without_connection_or_client(make_origin: OriginFactory) -> None:
    fields = parse_nginx_error(NGINX_NO_CONNECTION, make_origin("nginx_error", timezone="UTC"))
    assert fields["@timestamp"] == "2024-12-01T09:59:00.000000Z"
    assert fields["message"] == "signal process started"
    assert "source.ip" not in fields and "nginx.error.connection_id" not in fields


def test_nginx_client_injected_into_the_path_is_not_believed(make_origin: OriginFactory) -> None:
    # GET /x%2C%20client:%2010.20.0.5 : nginx decodes the URI into the file name it logs.
    line = (
        '2024/12/01 10:00:00 [error] 1234#1234: *5 open() "/var/www/x, client: 10.20.0.5" '
        "failed (2: No such file or directory), client: 203.0.113.5, server: example.vn, "
        'request: "GET /x%2C%20client:%2010.20.0.5 HTTP/1.1", host: "example.vn"'
    )
    fields = parse_nginx_error(line, make_origin("nginx_error"))
    assert fields["source.ip"] == "203.0.113.5"


@pytest.mark.parametrize(
    ("line", "dataset", "ip"),
    [
        (APACHE_24, "apache.error", "203.0.113.5"),
        (APACHE_22, "apache.error", "198.51.100.23"),
        (NGINX, "nginx.error", "203.0.113.5"),
        (NGINX_UPSTREAM, "nginx.error", "113.160.4.5"),
    ],
)
def test_auto_recognises_bare_error_logs(
    event_fields: EventFields, line: str, dataset: str, ip: str
) -> None:
    fields = event_fields(line, "auto")
    assert (fields["event.dataset"], fields["source.ip"]) == (dataset, ip)


@pytest.mark.parametrize(
    ("line", "dataset", "ip"),
    [
        # nginx with error_log syslog:server=10.20.0.9 (RFC 3164, tag "nginx").
        ("<11>Dec  1 10:00:00 congdan-web01 nginx: " + NGINX, "nginx.error", "203.0.113.5"),
        # Apache with ErrorLog syslog:local1: no [time] in the message.
        (
            "<139>Dec  1 10:00:00 congdan-web02 apache2[1234]: [core:error] [pid 1234:tid 5678] "
            "[client 203.0.113.5:51234] AH00126: Invalid URI in request GET /%2e%2e/ HTTP/1.1",
            "apache.error",
            "203.0.113.5",
        ),
        # rsyslog's imfile forwarding /var/log/nginx/error.log as RFC 5424.
        (
            "<187>1 2024-12-01T10:00:00.000000+07:00 congdan-web01 nginx-error - - -  " + NGINX,
            "nginx.error",
            "203.0.113.5",
        ),
    ],
)
def test_auto_recognises_error_logs_over_syslog(
    event_fields: EventFields, line: str, dataset: str, ip: str
) -> None:
    fields = event_fields(line, "auto", received_at="2024-12-01T04:00:00.000000Z")
    assert (fields["event.dataset"], fields["source.ip"]) == (dataset, ip)
    assert fields["host.name"].startswith("congdan-web0")
    assert fields["@timestamp"] == "2024-12-01T03:00:00.000000Z"
    assert fields["log.level"] == "error"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "[Sun Dec 01 10:00:00 2024]",
        "[Sun Dec 01 10:00:00 2024] no level here",
        "[not a time] [error] message",
        "2024/12/01 10:00:00 [error] message without pid",
        '203.0.113.7 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 200 1',
    ],
)
def test_other_text_is_refused(make_origin: OriginFactory, line: str) -> None:
    with pytest.raises(ParseError):
        parse_apache_error(line, make_origin("apache_error"))
    with pytest.raises(ParseError):
        parse_nginx_error(line, make_origin("nginx_error"))


def test_unreadable_time_falls_back(make_origin: OriginFactory) -> None:
    fields = parse_nginx_error("2024/13/45 10:00:00 [error] 1#1: boom", make_origin("nginx_error"))
    assert fields["event.timestamp_fallback"] is True and "@timestamp" not in fields


def test_hostile_lines_stay_fast(make_origin: OriginFactory) -> None:
    import time

    origin = make_origin("nginx_error")
    long_tail = ", client: 1.2.3.4" * 50_000 + ', request: "' + '"' * 100_000
    started = time.perf_counter()
    parse_nginx_error("2024/12/01 10:00:00 [error] 1#1: *1 x" + long_tail, origin)
    parse_apache_error("[Sun Dec 01 10:00:00 2024] [error] " + "[client " * 100_000, origin)
    assert time.perf_counter() - started < 1.0
