"""OpenCanary events, in the shape of the OpenCanary documentation's sample log lines (file
handler JSON, and the same JSON through its syslog handler)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.opencanary import parse_opencanary

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

SSH_LOGIN = (
    '{"dst_host": "10.20.9.10", "dst_port": 22, "local_time": "2024-03-05 07:02:11.482311", '
    '"local_time_adjusted": "2024-03-05 14:02:11.482311", "logdata": {"LOCALVERSION": '
    '"SSH-2.0-OpenSSH_5.1p1 Debian-4", "PASSWORD": "123456", "REMOTEVERSION": '
    '"SSH-2.0-libssh2_1.8.0", "USERNAME": "root"}, "logtype": 4002, "node_id": '
    '"canary-ubnd-01", "src_host": "203.0.113.7", "src_port": 52411, '
    '"utc_time": "2024-03-05 07:02:11.482320"}'
)
PORT_SCAN = (
    '{"dst_host": "10.20.9.10", "dst_port": 445, "local_time": "2024-03-05 07:03:00.000001", '
    '"logdata": {"FIN": "", "ID": "0", "IN": "eth0", "LEN": "44", "PROTO": "TCP", "SYN": ""}, '
    '"logtype": 5001, "node_id": "canary-ubnd-01", "src_host": "10.20.3.41", "src_port": 61000, '
    '"utc_time": "2024-03-05 07:03:00.000010"}'
)
BOOT = '{"logdata": {"msg": "Canary running!!!"}, "logtype": 1001, "node_id": "canary-ubnd-01"}'


def test_ssh_login_attempt_is_an_alert(make_origin: OriginFactory) -> None:
    fields = parse_opencanary(SSH_LOGIN, make_origin("opencanary"))
    assert fields["event.dataset"] == "opencanary.events"
    assert fields["event.kind"] == "alert"
    assert fields["event.action"] == "ssh-login-attempt"
    assert fields["event.code"] == "4002"
    assert "authentication" in fields["event.category"]
    assert fields["event.outcome"] == "failure"
    assert fields["@timestamp"] == "2024-03-05T07:02:11.482320Z"
    assert fields["source.ip"] == "203.0.113.7" and fields["source.port"] == 52411
    assert fields["destination.ip"] == "10.20.9.10" and fields["destination.port"] == 22
    assert fields["user.name"] == "root"
    assert fields["observer.name"] == "canary-ubnd-01"
    assert fields["hanoi.opencanary.logtype"] == 4002
    assert fields["hanoi.opencanary.logdata.REMOTEVERSION"] == "SSH-2.0-libssh2_1.8.0"


def test_port_scan_through_syslog(make_origin: OriginFactory) -> None:
    line = "<13>Mar  5 14:03:00 canary-ubnd-01 opencanaryd[77]: " + PORT_SCAN
    fields = parse_opencanary(line, make_origin("opencanary"))
    assert fields["host.name"] == "canary-ubnd-01"
    assert fields["event.action"] == "port-syn"
    assert fields["event.category"] == ["intrusion_detection", "network"]
    assert "message" not in fields
    assert fields["@timestamp"] == "2024-03-05T07:03:00.000010Z"


def test_housekeeping_is_a_plain_event(event_fields: EventFields) -> None:
    fields = event_fields(BOOT, "opencanary")
    assert fields["event.kind"] == "event"
    assert fields["event.action"] == "canary-message"
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"  # receive time


def test_vietnamese_user_name(event_fields: EventFields) -> None:
    line = '{"logtype": 2000, "logdata": {"USERNAME": "quản trị", "PASSWORD": "x"}}'
    assert event_fields(line, "opencanary")["user.name"] == "quản trị"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("plain text", "not an OpenCanary event"),
        ('{"logtype": "4002"}', "no integer logtype"),
        ('{"logtype": true}', "no integer logtype"),
        ("<13>Mar  5 14:03:00 c opencanaryd: no json here", "not an OpenCanary event"),
        ('{"logtype": 1, ' + "[" * 5000 + "]" * 5000 + "}", "JSON"),
    ],
)
def test_bad_lines_are_refused(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_opencanary(line, make_origin("opencanary"))


def test_bad_ports_and_hosts_stay_out_of_ecs(make_origin: OriginFactory) -> None:
    line = '{"logtype": 5001, "src_host": "x; rm", "src_port": 70000, "dst_port": "22"}'
    fields = parse_opencanary(line, make_origin("opencanary"))
    assert "source.port" not in fields and "destination.port" not in fields
    assert "source.ip" not in fields


def test_garbage_bytes_become_a_dead_letter(dead_letter: DeadLetterOf) -> None:
    assert dead_letter(b'{"logtype": \xff\xfe 1}', "opencanary").reason
