"""Access log lines carried in syslog messages, as the real senders write them.

- nginx ``access_log syslog:server=host:514,tag=nginx combined;`` sends RFC 3164
  ``<190>Mar  5 14:02:11 web01 nginx: <combined line>`` (ngx_syslog.c);
- rsyslog forwarding an nginx/Apache access file read by imfile with
  ``RSYSLOG_SyslogProtocol23Format`` keeps a blank before MSG;
- Apache ``CustomLog "|/usr/bin/logger -t apache2 -p local6.info" combined`` tags ``apache2``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EventFields = Callable[..., dict[str, Any]]

COMBINED = (
    '203.0.113.9 - - [05/Mar/2024:14:02:11 +0700] "GET /tra-cuu/ho-so?id=1%27%20OR%201=1-- '
    'HTTP/1.1" 200 512 "-" "sqlmap/1.8"'
)
VIETNAMESE = (
    '10.20.3.7 - - [05/Mar/2024:14:02:12 +0700] "GET /d%E1%BB%8Bch-v%E1%BB%A5-c%C3%B4ng '
    'HTTP/1.1" 404 0 "-" "Mozilla/5.0"'
)


def test_nginx_access_line_over_rfc3164(event_fields: EventFields) -> None:
    fields = event_fields(f"<190>Mar  5 14:02:11 web01 nginx: {COMBINED}")
    assert fields["event.dataset"] == "nginx.access"
    assert fields["source.ip"] == "203.0.113.9"
    assert fields["url.path"] == "/tra-cuu/ho-so"
    assert fields["http.request.method"] == "GET"
    assert fields["http.response.status_code"] == 200
    assert fields["host.name"] == "web01"  # the syslog header's host, not the receiver's
    assert fields["process.name"] == "nginx"


def test_access_line_forwarded_by_rsyslog_rfc5424_with_its_leading_blank(
    event_fields: EventFields,
) -> None:
    line = f"<190>1 2024-03-05T14:02:12+07:00 web02 nginx - - -  {VIETNAMESE}"
    fields = event_fields(line)
    assert fields["event.dataset"] == "nginx.access"
    assert fields["url.path"] == "/dịch-vụ-công"
    assert fields["http.response.status_code"] == 404
    assert fields["event.outcome"] == "failure"
    assert fields["@timestamp"] == "2024-03-05T07:02:12.000000Z"


def test_apache_tagged_access_line_is_apache_access(event_fields: EventFields) -> None:
    fields = event_fields(f"<182>Mar  5 14:02:11 thue-app01 apache2: {COMBINED}")
    assert fields["event.dataset"] == "apache.access"
    assert fields["source.ip"] == "203.0.113.9"


def test_a_syslog_message_that_only_resembles_an_access_line_stays_syslog(
    event_fields: EventFields,
) -> None:
    fields = event_fields('<190>Mar  5 14:02:11 web01 app: 10.0.0.1 said "GET /" twice')
    assert fields["event.dataset"] == "syslog"
    assert "url.path" not in fields
