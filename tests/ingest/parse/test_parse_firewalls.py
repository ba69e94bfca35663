"""Cisco ASA and Palo Alto PAN-OS firewall syslog (message formats from Cisco's "ASA Series
Syslog Messages" and PAN-OS's "Syslog Field Descriptions")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.cisco_asa import parse_cisco_asa
from ingest.parse.paloalto import parse_paloalto

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

ASA = {
    "built": "<166>Mar 05 2024 14:02:11 asa-hn-01 : %ASA-6-302013: Built outbound TCP connection "
    "123 for outside:203.0.113.10/443 (203.0.113.10/443) to inside:10.20.3.41/51234 "
    "(198.51.100.2/51234)",
    "deny": "<164>Mar  5 14:02:11 asa-hn-01 %ASA-4-106023: Deny tcp src outside:203.0.113.66/55555 "
    'dst dmz:10.20.2.20/31337 by access-group "outside_access_in" [0x0, 0x0]',
    "acl": "%ASA-6-106100: access-list outside_access_in denied tcp outside/203.0.113.66(55555) "
    "-> dmz/10.20.2.20(22) hit-cnt 1 first hit [0x91c26a3, 0x0]",
    "inbound": "%ASA-2-106001: Inbound TCP connection denied from 203.0.113.66/55555 to "
    "10.20.2.20/22 flags SYN  on interface outside",
    "teardown": "%ASA-6-302014: Teardown TCP connection 123 for outside:203.0.113.10/443 to "
    "inside:10.20.3.41/51234 duration 0:01:30 bytes 6137 TCP FINs",
    "login": "%ASA-6-605005: Login permitted from 10.0.0.5/51234 to inside:10.0.0.1/ssh for user "
    '"quản.trị"',
    "command": "%ASA-5-111008: User 'admin' executed the 'configure terminal' command.",
    "aaa": "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = "
    "10.0.0.9 : user = nguyen : user IP = 10.0.0.5",
}
ASA_EXPECTED: dict[str, dict[str, Any]] = {
    "built": {"@timestamp": "2024-03-05T07:02:11.000000Z", "host.name": "asa-hn-01",
              "source.ip": "10.20.3.41", "destination.ip": "203.0.113.10",
              "destination.port": 443, "network.direction": "outbound", "event.code": "302013",
              "observer.ingress.interface.name": "inside", "event.outcome": "success"},
    "deny": {"host.name": "asa-hn-01", "source.ip": "203.0.113.66", "destination.port": 31337,
             "rule.name": "outside_access_in", "event.action": "deny", "event.outcome": "failure",
             "event.severity": 4, "@timestamp": "2024-03-05T07:02:11.000000Z"},
    "acl": {"source.port": 55555, "destination.ip": "10.20.2.20", "event.action": "deny"},
    "inbound": {"network.transport": "tcp", "destination.port": 22, "event.outcome": "failure",
                "observer.ingress.interface.name": "outside"},
    "teardown": {"event.duration": 90_000_000_000, "network.bytes": 6137,
                 "event.type": ["connection", "end"]},
    "login": {"user.name": "quản.trị", "event.outcome": "success", "source.ip": "10.0.0.5"},
    "command": {"user.name": "admin", "hanoi.cisco_asa.command": "configure terminal"},
    "aaa": {"user.name": "nguyen", "event.outcome": "failure", "source.ip": "10.0.0.5"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ASA))
def test_asa_messages(name: str, make_origin: OriginFactory) -> None:
    fields = parse_cisco_asa(ASA[name], make_origin("cisco_asa"))
    assert fields["event.dataset"] == "cisco.asa"
    expected = ASA_EXPECTED[name]
    assert {key: fields.get(key) for key in expected} == expected


def test_asa_unknown_message_keeps_id(make_origin: OriginFactory) -> None:
    fields = parse_cisco_asa("%ASA-1-104001: (Primary) Switching to ACTIVE.", make_origin())
    assert fields["event.code"] == "104001" and fields["message"].startswith("(Primary)")


PAN_TRAFFIC = (
    "<14>Mar  5 14:02:11 PA-HN-01 1,2024/03/05 14:02:11,012801012345,TRAFFIC,end,2560,"
    "2024/03/05 14:02:11,10.20.3.41,203.0.113.10,198.51.100.2,203.0.113.10,allow-web,,,ssl,"
    "vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log-Forwarding,,12345,1,51234,443,40001,443,"
    "0x400000,tcp,allow,5123,1200,3923,20,2024/03/05 14:01:50,20,any,,123456789,0x0,"
    "10.0.0.0-10.255.255.255,United States,,10,10,tcp-fin"
)
PAN_THREAT = (
    "1,2024/03/05 14:02:11,012801012345,THREAT,vulnerability,2560,2024/03/05 14:02:11,"
    "203.0.113.66,10.20.2.20,0.0.0.0,0.0.0.0,inbound-dmz,,,web-browsing,vsys1,untrust,dmz,"
    "ethernet1/1,ethernet1/3,Log-Forwarding,,22222,1,55555,80,0,0,0x2000,tcp,reset-both,"
    '"/cgi-bin/.%2e/.%2e/bin/sh",Apache HTTP Server Path Traversal(91784),any,critical,'
    'client-to-server,5555,0x0,United States,10.0.0.0-10.255.255.255,,,0,,,0,"curl/8.5.0, x"'
)


def test_panos_traffic(make_origin: OriginFactory) -> None:
    fields = parse_paloalto(PAN_TRAFFIC, make_origin("paloalto"))
    assert fields["event.dataset"] == "panos.panos"
    assert fields["host.name"] == "PA-HN-01"
    assert fields["@timestamp"] == "2024-03-05T07:02:11.000000Z"
    assert fields["source.ip"] == "10.20.3.41" and fields["destination.port"] == 443
    assert fields["source.nat.ip"] == "198.51.100.2"
    assert fields["rule.name"] == "allow-web"
    assert fields["network.application"] == "ssl"
    assert fields["source.bytes"] == 1200 and fields["destination.bytes"] == 3923
    assert fields["event.action"] == "allow" and fields["event.outcome"] == "success"
    assert fields["hanoi.panos.session_end_reason"] == "tcp-fin"
    assert not any(key.startswith("hanoi.panos.future_use") for key in fields)


def test_panos_threat_with_quoted_columns(make_origin: OriginFactory) -> None:
    fields = parse_paloalto(PAN_THREAT, make_origin("paloalto"))
    assert fields["event.kind"] == "alert"
    assert fields["hanoi.panos.misc"] == "/cgi-bin/.%2e/.%2e/bin/sh"
    assert fields["hanoi.panos.threat_id"] == "Apache HTTP Server Path Traversal(91784)"
    assert fields["user_agent.original"] == "curl/8.5.0, x"
    assert fields["event.outcome"] == "failure"
    assert "source.nat.ip" not in fields  # 0.0.0.0: no NAT


@pytest.mark.parametrize(
    ("parser", "line"),
    [
        ("cisco_asa", "hello world"),
        ("cisco_asa", "x" * 300 + " %ASA-6-302013: Built"),  # tag beyond any header
        ("paloalto", "hello, world"),
        ("paloalto", "1,2,3,traffic,x,y,z"),
        ("paloalto", "1,2024/03/05,0128,TRAFFIC," + "," * 200),
    ],
)
def test_other_lines_are_refused(parser: str, line: str, make_origin: OriginFactory) -> None:
    parse = parse_cisco_asa if parser == "cisco_asa" else parse_paloalto
    with pytest.raises(ParseError):
        parse(line, make_origin(parser))


@pytest.mark.parametrize("parser", ["cisco_asa", "paloalto"])
def test_garbage_becomes_a_dead_letter(parser: str, dead_letter: DeadLetterOf) -> None:
    assert dead_letter(b"\xff\xfe%ASA-x-1: \x00\x01" * 20, parser).reason


def test_hostile_ports_and_addresses(make_origin: OriginFactory) -> None:
    line = '%ASA-4-106023: Deny tcp src o:999.1.1.1/99999 dst i:10.0.0.2/22 by access-group "a"'
    fields = parse_cisco_asa(line, make_origin("cisco_asa"))
    assert "source.port" not in fields and "source.ip" not in fields
