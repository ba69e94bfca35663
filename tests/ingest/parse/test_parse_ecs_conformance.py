"""Every registered parser's output, and the demo stream, against the ECS reference
(``../shared/ecs/ecs_flat.yml``, 9.4): ECS names with ECS types, or the custom namespace
``hanoi.<dataset>.*`` (or a documented integration/bookkeeping namespace, see
:mod:`tests.support.ecs_reference`); ``event.kind/category/type/outcome`` with ECS allowed
values on every event.

The parsers come from the registry and their lines from ``test_parse_registry.SAMPLES``
(which every registered parser must have), plus the richer lines below, so a parser added
later is checked without touching this file.
"""

from __future__ import annotations

import importlib.util
import itertools
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from canhgac.cli.demo.generator import DemoStream
from canhgac.cli.demo.model import Channel
from canhgac.config import (
    FileSourceConfig,
    HttpSourceConfig,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.models import Event
from canhgac.store.elasticsearch.ecs_fields import ECS_FIELD_TYPES
from canhgac.store.elasticsearch.mappings import events_component
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.parse.registry import PARSERS
from tests.support import cloud_records as cloud
from tests.support.ecs_reference import Conformance, ecs_type
from tests.support.windows_events import EVENTS, SHAPES, nxlog_overwritten

RECEIVED_AT = "2024-03-05T08:00:00.000000Z"
DEMO_LINES = 3000

# More lines per parser than the registry's one sample: the record kinds each parser tells
# apart (success and failure, each auth program, web errors, firewall verdicts...).
MORE_SAMPLES: dict[str, list[str]] = {
    "auth": [
        "Mar  5 14:02:11 web01 sshd[7]: Accepted publickey for quantri from 10.0.0.5 port 5 ssh2:"
        " RSA SHA256:abc",
        "Mar  5 14:02:11 web01 sshd[7]: Failed password for invalid user admin from"
        " 2001:db8::7 port 22 ssh2",
        "Mar  5 14:02:11 web01 sudo:   an : TTY=pts/0 ; PWD=/home/an ; USER=root ;"
        " COMMAND=/bin/bash",
        "Mar  5 14:02:11 web01 useradd[9]: new user: name=hotro, UID=1007, GID=1007,"
        " home=/home/hotro, shell=/bin/bash, from=/dev/pts/0",
        "Mar  5 14:02:11 web01 sshd[7]: pam_unix(sshd:session): session opened for user an(uid=1)"
        " by (uid=0)",
        "Mar  5 14:02:11 web01 su(pam_unix)[7]: authentication failure; logname=an uid=1 euid=0"
        " tty=pts/0 ruser=an rhost=  user=root",
    ],
    "auditd": [
        "type=SYSCALL msg=audit(1709622131.482:8841): arch=c000003e syscall=59 success=yes exit=0"
        ' items=2 ppid=2301 pid=2388 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm="bash"'
        ' exe="/usr/bin/bash" key="exec"',
        'type=EXECVE msg=audit(1709622131.482:8841): argc=3 a0="bash" a1="-c" a2="id"',
        "type=ADD_USER msg=audit(1709622131.482:8842): pid=9 uid=0 auid=1000 ses=3"
        ' msg=\'op=add-user acct="hotro" exe="/usr/sbin/useradd" hostname=? addr=? terminal=pts/0'
        " res=success'",
    ],
    "nginx": [
        '2001:db8::9 - an [05/Mar/2024:14:02:11 +0700] "GET /tra-cuu?q=%27%20or%201=1 HTTP/1.1"'
        ' 500 12 "https://dichvucong.hanoi.gov.vn/" "sqlmap/1.7"',
    ],
    "fortigate": [
        'date=2024-03-05 time=14:02:11 devname="FGT-HN" devid="FG100F" logid="0000000013"'
        ' type="traffic" subtype="forward" level="notice" srcip=10.20.3.4 srcport=51000'
        ' dstip=203.0.113.9 dstport=443 proto=6 action="deny" policyid=7 service="HTTPS"'
        " sentbyte=100 rcvdbyte=0",
        'date=2024-03-05 time=14:02:11 devname="FGT-HN" devid="FG100F" logid="0000000013"'
        ' type="traffic" subtype="forward" srcip=10.20.3.4 srcport=51000 dstip=203.0.113.9'
        ' dstport=443 proto=6 action="accept" policyid=7',
    ],
    "json": [
        '{"@timestamp": "2024-03-05T14:02:11+07:00", "message": "Tra cứu mã số thuế",'
        ' "ma_so_thue": "0101234567", "so_tien": 25000, "giao_dich": {"ma": "GX1"},'
        ' "client": {"ip": "10.0.0.9"}, "log": {"level": "info"}}',
    ],
    "windows": [
        *(render(event) for event in EVENTS.values() for render in SHAPES.values()),
        nxlog_overwritten(EVENTS["defender1116"]),
    ],
    # real events: process, network connection, file (sources in the data file's header)
    "sysmon_linux": [
        line
        for line in (Path(__file__).parent / "data" / "sysmon_linux.log")
        .read_text(encoding="utf-8")
        .splitlines()
        if line and not line.startswith("#")
    ],
    # the record kinds of each cloud log
    **{parser: cloud.lines(parser) for parser in cloud.BY_PARSER},
    "windows_dns": [
        "4/21/2017 7:52:03 AM 06B0 PACKET  00000000028657F0 UDP Snd 10.2.0.1        6590 R Q"
        " [8081   DR  NXDOMAIN] A      (7)example(3)com(0)",
        "Message logging key (for packets - other items use a subset of these fields):",
    ],
}


@cache
def registry_samples() -> dict[str, str]:
    path = Path(__file__).with_name("test_parse_registry.py")
    spec = importlib.util.spec_from_file_location("_registry_samples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: sample[0] for name, sample in module.SAMPLES.items()}


def lines_for(parser: str) -> list[str]:
    lines = list(MORE_SAMPLES.get(parser, []))
    if parser in registry_samples():
        lines.append(registry_samples()[parser])
    return lines


def _event(line: str, parser: str, position: int) -> Event:
    origin = Origin("test", f"test:{parser}", RECEIVED_AT, parser=parser)
    record = to_record(line.encode(), origin, position)
    assert isinstance(record, Event), f"{parser}: {record}"
    return record


# The parser each demo channel reaches, as the sources are configured by default.
DEMO_PARSERS = {
    Channel.syslog_udp: SyslogUdpSourceConfig(name="udp").parser,
    Channel.syslog_tcp: SyslogTcpSourceConfig(name="tcp").parser,
    Channel.http: HttpSourceConfig(name="http").parser,
    Channel.file: FileSourceConfig(name="portal", path="demo.log").parser,
}


def demo_lines() -> list[tuple[str, str]]:
    """(line, parser) of the demo stream's first lines (a whole round of attacks)."""
    stream = DemoStream(11, 50.0, datetime(2026, 12, 3, tzinfo=UTC))
    return [
        (emission.line.text, DEMO_PARSERS[emission.line.channel])
        for emission in itertools.islice(stream, DEMO_LINES)
    ]


@cache
def conformance() -> Conformance:
    checked = Conformance()
    for parser in PARSERS.names():
        for index, line in enumerate(lines_for(parser)):
            checked.add(_event(line, parser, index).fields, f"{parser}: {line[:80]}")
    for index, (line, parser) in enumerate(demo_lines()):
        checked.add(_event(line, parser, index).fields, f"demo ({parser}): {line[:80]}")
    return checked


@pytest.mark.parametrize("parser", PARSERS.names())
def test_every_registered_parser_has_lines(parser: str) -> None:
    assert lines_for(parser), f"parser {parser} has no sample line to check against ECS"


def test_every_field_is_ecs_or_namespaced() -> None:
    checked = conformance()
    assert checked.violations == {}
    # The counts reported in the notes; a floor so a regression in coverage shows.
    print(
        f"\nECS conformance: {len(checked.written)} fields written"
        f" ({sum(checked.written.values())} values), {len(checked.ecs)} ECS-conformant,"
        f" {len(checked.custom)} custom (hanoi.*), {len(checked.integration)} integration,"
        f" {len(checked.bookkeeping)} bookkeeping"
    )
    assert len(checked.ecs) >= 80
    assert {"hanoi.app.ma_so_thue", "hanoi.app.so_tien"} <= checked.custom


def test_the_index_template_maps_every_ecs_field_we_write_with_its_ecs_type() -> None:
    written = conformance().ecs
    assert sorted(written - ECS_FIELD_TYPES.keys()) == []
    for name, kind in ECS_FIELD_TYPES.items():
        assert ecs_type(name) == kind, name


# ECS type -> the mapping types of its family that store it.
_FAMILIES = {
    "keyword": {"keyword"},
    "wildcard": {"keyword"},
    "long": {"long"},
    "ip": {"ip"},
    "date": {"date", "date_nanos"},
}
# Deliberate: event.original is full-text searchable (text, with a keyword sub-field Sigma
# keywords use), message a keyword (Sigma compares whole values) with a text sub-field.
_STORED_OTHERWISE = {"event.original": "text", "message": "keyword"}


def test_the_index_template_stores_each_ecs_type_in_its_family() -> None:
    properties = events_component()["template"]["mappings"]["properties"]
    for name, kind in ECS_FIELD_TYPES.items():
        stored = properties[name]["type"]
        if name in _STORED_OTHERWISE:
            assert stored == _STORED_OTHERWISE[name], name
        else:
            assert stored in _FAMILIES[kind], (name, kind, stored)


def test_a_non_ecs_field_is_reported() -> None:
    checked = Conformance()
    checked.add(
        {
            "event.kind": "event",
            "event.category": "web",
            "event.type": "start",
            "event.outcome": "maybe",
            "process.ppid": 1,
            "source.ip": "not-an-ip",
            "hanoi.app.x": 1,
        },
        "here",
    )
    assert set(checked.violations) == {
        "process.ppid",
        "source.ip",
        "event.outcome=['maybe']",
        "event.type ['start'] for category web",
    }
    assert checked.custom == {"hanoi.app.x"}
