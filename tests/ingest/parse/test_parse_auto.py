"""The auto parser: format detection for syslog sources, and the raw fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ingest.parse.auto import parse_auto
from ingest.parse.base import Origin
from ingest.parse.raw import parse_raw

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]

FORTIGATE = (
    'date=2024-03-05 time=14:02:11 devname="FGT-HN-01" devid="FG100FTK19000001" logid="13" '
    'type="traffic" srcip=10.0.0.1 dstip=10.0.0.2 action="accept"'
)
CEF = "CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar_test_file|6|src=10.0.0.5"
AUDIT = "type=USER_LOGIN msg=audit(1709622131.482:1): pid=1 uid=0 msg='acct=\"an\" res=success'"
ACCESS = '10.0.0.9 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 200 12 "-" "curl/8.5"'


@pytest.mark.parametrize(
    ("line", "dataset"),
    [
        ("<38>Mar  5 14:02:11 web01 sshd[7]: Invalid user a from 10.0.0.1 port 2", "system.auth"),
        (
            "Mar  5 14:02:11 web01 sudo: an : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
            "system.auth",
        ),
        (
            "Mar  5 14:02:11 web01 CRON[9]: pam_unix(cron:session): session closed for user root",
            "system.auth",
        ),
        ("<38>Mar  5 14:02:11 web01 nginx: started", "syslog"),
        ("<14>1 2024-03-05T14:02:11+07:00 web01 app - - - started", "syslog"),
        (
            "<14>1 2024-03-05T14:02:11+07:00 web01 sshd 7 - - Invalid user a from 10.0.0.1 port 2",
            "system.auth",
        ),
        (FORTIGATE, "fortinet.firewall"),
        ("<189>" + FORTIGATE, "fortinet.firewall"),
        ("<189>Mar  5 14:02:11 FGT-HN-01 " + FORTIGATE, "fortinet.firewall"),
        (CEF, "cef"),
        ("<134>Mar  5 14:02:11 dsa01 " + CEF, "cef"),
        ("<134>1 2024-03-05T14:02:11+07:00 dsa01 dsa - - - " + CEF, "cef"),
        (AUDIT, "auditd.log"),
        ("Mar  5 14:02:11 web01 audispd: node=web01 " + AUDIT, "auditd.log"),
        ('{"level":"info","message":"ok"}', "app"),
        (
            json.dumps({"EventID": 4624, "Channel": "Security", "Hostname": "DC01"}),
            "windows.security",
        ),
        (
            json.dumps({"winlog": {"event_id": "4104", "channel": "Windows PowerShell"}}),
            "windows.powershell",
        ),
        (ACCESS, "nginx.access"),
        ("just some text from a printer", "raw"),
        ("{not json at all", "raw"),
        ("<999>Mar  5 14:02:11 web01 app: bad PRI", "raw"),
        ("<14>1 2024-03-05T14:02:11+07:00 h app - - [broken sd", "raw"),
        ("CEF:0|too|few", "raw"),
        ("", "raw"),
    ],
)
def test_detects_the_format(line: str, dataset: str, make_origin: OriginFactory) -> None:
    assert parse_auto(line, make_origin())["event.dataset"] == dataset


def test_cef_in_syslog_keeps_header_fields(make_origin: OriginFactory) -> None:
    fields = parse_auto("<134>Mar  5 14:02:11 dsa01 " + CEF, make_origin())
    assert (fields["host.name"], fields["log.syslog.priority"], fields["event.code"]) == (
        "dsa01",
        134,
        "4000000",
    )


def test_raw_fallback_is_an_event_not_a_dead_letter(event_fields: EventFields) -> None:
    fields = event_fields("máy in tầng 3 hết giấy")
    assert fields == {
        "message": "máy in tầng 3 hết giấy",
        "event.dataset": "raw",
        "event.module": "raw",
        "@timestamp": "2024-03-05T08:00:00.000000Z",
        "event.original": "máy in tầng 3 hết giấy",
        "event.kind": "event",
        # Nothing says what a free-text line is about: ECS host/info, outcome unknown.
        "event.category": "host",
        "event.type": "info",
        "event.outcome": "unknown",
        "canhgac.source": "test",
    }


def test_raw_parser_and_configured_dataset(make_origin: OriginFactory) -> None:
    assert parse_raw("x", make_origin("raw", dataset="printer")) == {
        "message": "x",
        "event.dataset": "printer",
        "event.module": "raw",
    }
    assert parse_auto("x", make_origin(dataset="printer"))["event.dataset"] == "printer"
