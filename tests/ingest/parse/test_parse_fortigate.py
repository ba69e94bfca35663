"""The FortiGate key=value parser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.base import Origin
from ingest.parse.fortigate import parse_fortigate

OriginFactory = Callable[..., Origin]

TRAFFIC = (
    'date=2024-03-05 time=14:02:11 devname="FGT-HN-01" devid="FG100FTK19000001" '
    'eventtime=1709622131482113000 tz="+0700" logid="0000000013" type="traffic" '
    'subtype="forward" level="notice" vd="root" srcip=10.10.1.23 srcport=51234 '
    'srcintf="port1" srcintfrole="lan" dstip=203.0.113.10 dstport=443 dstintf="wan1" '
    'dstintfrole="wan" sessionid=99887766 proto=6 action="deny" policyid=12 '
    'policyname="Chan truy cap ngoai gio" service="HTTPS" transip=113.160.1.2 transport=40001 '
    'sentbyte=1234 rcvdbyte=0 msg="Truy cập bị chặn theo chính sách"'
)


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


def test_traffic_log(make_origin: OriginFactory) -> None:
    fields = parse_fortigate(TRAFFIC, make_origin("fortigate"))
    assert pick(
        fields,
        "event.dataset",
        "event.module",
        "event.category",
        "@timestamp",
        "observer.name",
        "observer.serial_number",
        "observer.vendor",
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "network.transport",
        "network.protocol",
        "event.action",
        "event.outcome",
        "rule.id",
        "source.nat.ip",
        "source.nat.port",
        "observer.ingress.interface.name",
        "observer.egress.interface.name",
        "message",
        "source.bytes",
    ) == {
        "event.dataset": "fortinet.firewall",
        "event.module": "fortinet",
        "event.category": "network",
        "@timestamp": "2024-03-05T07:02:11.482113Z",
        "observer.name": "FGT-HN-01",
        "observer.serial_number": "FG100FTK19000001",
        "observer.vendor": "Fortinet",
        "source.ip": "10.10.1.23",
        "source.port": 51234,
        "destination.ip": "203.0.113.10",
        "destination.port": 443,
        "network.transport": "tcp",
        "network.protocol": "https",
        "event.action": "deny",
        "event.outcome": "failure",
        "rule.id": "12",
        "source.nat.ip": "113.160.1.2",
        "source.nat.port": 40001,
        "observer.ingress.interface.name": "port1",
        "observer.egress.interface.name": "wan1",
        "message": "Truy cập bị chặn theo chính sách",
        "source.bytes": 1234,
    }
    raw = {key: value for key, value in fields.items() if key.startswith("fortinet.firewall.")}
    assert len(raw) == 30
    assert raw["fortinet.firewall.policyname"] == "Chan truy cap ngoai gio"
    assert raw["fortinet.firewall.proto"] == "6"


def test_date_and_tz_without_eventtime(make_origin: OriginFactory) -> None:
    line = 'date=2024-03-05 time=14:02:11 devname="FGT" tz="-0500" logid="1" type="event"'
    assert parse_fortigate(line, make_origin())["@timestamp"] == "2024-03-05T19:02:11.000000Z"
    no_tz = 'date=2024-03-05 time=14:02:11 devname="FGT" logid="1" type="event"'
    assert parse_fortigate(no_tz, make_origin())["@timestamp"] == "2024-03-05T07:02:11.000000Z"


def test_bad_date_falls_back(make_origin: OriginFactory) -> None:
    fields = parse_fortigate('date=2024-13-45 time=99:00:00 devname="FGT" logid="1"', make_origin())
    assert fields["event.timestamp_fallback"] is True


@pytest.mark.parametrize(
    "line",
    [
        "<189>" + TRAFFIC,
        "<189>Mar  5 14:02:11 FGT-HN-01 " + TRAFFIC,
        "Mar  5 14:02:11 FGT-HN-01 " + TRAFFIC,
    ],
)
def test_behind_a_syslog_header(line: str, make_origin: OriginFactory) -> None:
    fields = parse_fortigate(line, make_origin())
    assert (fields["event.dataset"], fields["source.ip"], fields["event.action"]) == (
        "fortinet.firewall",
        "10.10.1.23",
        "deny",
    )
    if line.startswith("<189>"):
        assert fields["log.syslog.severity.code"] == 5


@pytest.mark.parametrize(
    ("action", "outcome"), [("accept", "success"), ("close", "success"), ("blocked", "failure")]
)
def test_outcome_from_action(action: str, outcome: str, make_origin: OriginFactory) -> None:
    line = f'devname="FGT" logid="1" type="utm" action="{action}"'
    assert parse_fortigate(line, make_origin())["event.outcome"] == outcome


def test_quoting_escapes_and_unbalanced_quote(make_origin: OriginFactory) -> None:
    line = (
        'devname="FGT" logid="1" url="/a?b=\\"c d\\"" path=C:\\Temp\\x '
        'msg="Nội dung <script>alert(1)</script> chưa đóng'
    )
    fields = parse_fortigate(line, make_origin())
    assert fields["fortinet.firewall.url"] == '/a?b="c d"'
    assert fields["fortinet.firewall.path"] == "C:\\Temp\\x"  # unquoted: no unescaping
    assert fields["message"] == "Nội dung <script>alert(1)</script> chưa đóng"


@pytest.mark.parametrize("line", ["hello world", "a=1 b=2 c=3", "<13>Mar  5 14:02:11 h app: x=1"])
def test_not_fortigate(line: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="not a FortiGate key=value record"):
        parse_fortigate(line, make_origin())
