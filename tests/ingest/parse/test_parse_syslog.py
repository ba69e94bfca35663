"""rfc3164, rfc5424 and syslog (auto 3164/5424) parsers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.syslog import parse_rfc3164, parse_rfc5424, parse_syslog

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]


def test_rfc3164_full_header(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164(
        "<38>Mar  5 14:02:11 web01 CRON[8812]: (root) CMD (/usr/local/bin/sao-luu.sh)",
        make_origin("rfc3164"),
    )
    assert fields == {
        "event.dataset": "syslog",
        "event.module": "syslog",
        "log.syslog.priority": 38,
        "log.syslog.facility.code": 4,
        "log.syslog.severity.code": 6,
        "@timestamp": "2024-03-05T07:02:11.000000Z",  # 14:02 in Hanoi is 07:02 UTC
        "host.name": "web01",
        "process.name": "CRON",
        "log.syslog.appname": "CRON",
        "process.pid": 8812,
        "message": "(root) CMD (/usr/local/bin/sao-luu.sh)",
    }


def test_rfc3164_without_pri_as_in_var_log_files(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("Mar 15 09:00:01 dvc-app01 kernel: Out of memory", make_origin())
    assert "log.syslog.priority" not in fields
    # 15 March is ten days after the receive time: that is last year's March.
    assert fields["@timestamp"] == "2023-03-15T02:00:01.000000Z"
    assert (fields["host.name"], fields["process.name"], fields["message"]) == (
        "dvc-app01",
        "kernel",
        "Out of memory",
    )


def test_rfc3164_without_hostname(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("<34>Oct 11 22:14:15 su: 'su root' failed for lonvick", make_origin())
    assert "host.name" not in fields
    assert fields["process.name"] == "su"
    assert fields["message"] == "'su root' failed for lonvick"


def test_rfc3164_ipv6_hostname_is_not_mistaken_for_a_tag(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("Mar  5 14:02:11 2001:db8::7 sshd[1]: hello", make_origin())
    assert fields["host.name"] == "2001:db8::7"
    assert fields["process.name"] == "sshd"


def test_rfc3164_with_rfc3339_timestamp_from_rsyslog(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164(
        "<86>2024-03-05T14:02:11.123456+07:00 mail01 postfix/smtpd[42]: connect from unknown",
        make_origin(),
    )
    assert fields["@timestamp"] == "2024-03-05T07:02:11.123456Z"
    assert fields["process.name"] == "postfix/smtpd"
    assert fields["process.pid"] == 42


def test_rfc3164_pri_only_has_no_timestamp_and_no_fallback_flag(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("<13>plain message here", make_origin())
    assert fields["message"] == "plain message here"
    assert "@timestamp" not in fields and "event.timestamp_fallback" not in fields


def test_rfc3164_unparseable_timestamp_falls_back_to_receive_time(
    event_fields: EventFields,
) -> None:
    fields = event_fields("<13>Foo 31 25:61:61 web01 app: x", "rfc3164")
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"
    assert fields["event.timestamp_fallback"] is True


@pytest.mark.parametrize(
    ("received_at", "stamp", "expected"),
    [
        # Read just after New Year in Hanoi (still 31 Dec in UTC): the year is Hanoi's.
        ("2024-12-31T17:30:00.000000Z", "Jan  1 00:10:00", "2024-12-31T17:10:00.000000Z"),
        # A December line read in January belongs to the year before.
        ("2025-01-01T01:00:00.000000Z", "Dec 31 23:59:59", "2024-12-31T16:59:59.000000Z"),
        # Less than a day ahead (a sender clock slightly fast) keeps the current year.
        ("2024-03-05T08:00:00.000000Z", "Mar  5 20:00:00", "2024-03-05T13:00:00.000000Z"),
        # 29 February read in a non-leap year is from the last leap year.
        ("2025-03-01T02:00:00.000000Z", "Feb 29 10:00:00", "2024-02-29T03:00:00.000000Z"),
    ],
)
def test_rfc3164_year_inference(
    received_at: str, stamp: str, expected: str, make_origin: OriginFactory
) -> None:
    fields = parse_rfc3164(f"<13>{stamp} h app: m", make_origin(received_at=received_at))
    assert fields["@timestamp"] == expected


def test_rfc3164_zone_is_configurable(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("<13>Mar  5 14:02:11 h app: m", make_origin(timezone="Europe/Berlin"))
    assert fields["@timestamp"] == "2024-03-05T13:02:11.000000Z"


def test_rfc3164_unknown_zone_is_a_clear_dead_letter(dead_letter: DeadLetterOf) -> None:
    letter = dead_letter("<13>Mar  5 14:02:11 h app: m", "rfc3164", timezone="Mars/Base")
    assert letter.reason == "unknown timezone 'Mars/Base' in the source configuration"


def test_rfc3164_rejects_text_without_pri_or_timestamp(make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="no <PRI> and no timestamp"):
        parse_rfc3164("this is not syslog", make_origin())


def test_pri_out_of_range_is_rejected(make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="PRI 200 is out of range"):
        parse_rfc3164("<200>Mar  5 14:02:11 h app: m", make_origin())


def test_rfc5424_with_structured_data_escapes_and_bom(make_origin: OriginFactory) -> None:
    line = (
        "<165>1 2024-03-05T14:02:11.003+07:00 dvc-app01.hanoi.gov.vn dvc-portal 8710 AUDIT "
        '[origin@32473 ip="203.0.113.9" note="say \\"xin chào\\" \\] ok"][meta@1 seq="7"] '
        "\ufeffNgười dùng nguyenvana đã nộp hồ sơ"
    )
    fields = parse_rfc5424(line, make_origin())
    assert fields == {
        "event.dataset": "syslog",
        "event.module": "syslog",
        "log.syslog.priority": 165,
        "log.syslog.facility.code": 20,
        "log.syslog.severity.code": 5,
        "log.syslog.version": "1",
        "@timestamp": "2024-03-05T07:02:11.003000Z",
        "host.name": "dvc-app01.hanoi.gov.vn",
        "process.name": "dvc-portal",
        "log.syslog.appname": "dvc-portal",
        "process.pid": 8710,
        "log.syslog.msgid": "AUDIT",
        "log.syslog.structured_data.origin@32473.ip": "203.0.113.9",
        "log.syslog.structured_data.origin@32473.note": 'say "xin chào" ] ok',
        "log.syslog.structured_data.meta@1.seq": "7",
        "message": "Người dùng nguyenvana đã nộp hồ sơ",
    }


def test_rfc5424_all_nil_values(make_origin: OriginFactory) -> None:
    fields = parse_rfc5424("<14>1 - - - - - -", make_origin())
    assert fields["message"] == ""
    for absent in ("@timestamp", "host.name", "process.name", "process.pid", "log.syslog.msgid"):
        assert absent not in fields
    assert "event.timestamp_fallback" not in fields


def test_rfc5424_text_procid_is_kept_as_procid(make_origin: OriginFactory) -> None:
    fields = parse_rfc5424("<14>1 2024-03-05T07:00:00Z h app worker-3 - - go", make_origin())
    assert fields["log.syslog.procid"] == "worker-3"
    assert "process.pid" not in fields
    assert fields["message"] == "go"


def test_rfc5424_bad_timestamp_falls_back(event_fields: EventFields) -> None:
    fields = event_fields("<14>1 yesterday h app - - - go", "rfc5424")
    assert fields["event.timestamp_fallback"] is True
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Mar  5 14:02:11 h app: m", "not an RFC 5424 syslog record"),
        ("<14>1 2024-03-05T07:00:00Z h app - - oops", "without structured data"),
        ('<14>1 2024-03-05T07:00:00Z h app - - [a b="1"', "structured data is malformed"),
        ('<14>1 2024-03-05T07:00:00Z h app - - [a b="1"]x', "structured data is malformed"),
    ],
)
def test_rfc5424_structural_errors(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_rfc5424(line, make_origin())


def test_syslog_detects_both_versions(make_origin: OriginFactory) -> None:
    origin = make_origin("syslog")
    assert (
        parse_syslog("<14>1 2024-03-05T07:00:00Z h app - - - m", origin)["log.syslog.version"]
        == "1"
    )
    assert "log.syslog.version" not in parse_syslog("<14>Mar  5 14:02:11 h app: m", origin)
    with pytest.raises(ParseError):
        parse_syslog("no header at all", origin)
