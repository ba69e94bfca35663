"""A source's ``timezone`` and ``year`` reach the parsers of formats written without them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from canhgac.timeutil import from_iso, to_iso
from ingest.parse.base import Origin
from ingest.parse.syslog import parse_rfc3164
from ingest.parse.timestamps import bsd_of, ctime

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]


def _logger_rfc3164_in_utc(message: str) -> str:
    """What util-linux ``logger --rfc3164`` sends from a host whose clock runs in UTC."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        port = receiver.getsockname()[1]
        command = ["logger", "--rfc3164", "-d", "-n", "127.0.0.1", "-P", str(port)]
        command += ["-t", "sshd", "-i", "-p", "authpriv.info", "--", message]
        subprocess.run(command, env={**os.environ, "TZ": "UTC"}, check=True, timeout=10)
        return receiver.recv(65536).decode()


@pytest.mark.skipif(shutil.which("logger") is None, reason="util-linux logger is not installed")
def test_utc_hosts_rfc3164_line_is_stored_at_the_right_instant(
    event_fields: EventFields,
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    line = _logger_rfc3164_in_utc("Failed password for root from 203.0.113.5 port 4242 ssh2")
    after = datetime.now(UTC)
    received = to_iso(after)
    assert line.startswith("<86>") and " sshd[" in line  # a real 3164 line: no zone, no year

    fields = event_fields(line, "auth", received_at=received, timezone="UTC")
    stamp = from_iso(fields["@timestamp"])
    assert before <= stamp <= after
    assert fields["source.ip"] == "203.0.113.5"
    # The same line read as Hanoi time would be stored seven hours early.
    hanoi = event_fields(line, "auth", received_at=received)
    assert (stamp - from_iso(hanoi["@timestamp"])).total_seconds() == 7 * 3600


def test_configured_year_replaces_the_inferred_one(make_origin: OriginFactory) -> None:
    # An archived /var/log/auth.log.1 of 2021 read in 2024: no year in the lines.
    line = "Dec 31 23:59:58 web01 sshd[1]: Connection closed by 203.0.113.5 port 22"
    inferred = parse_rfc3164(line, make_origin())
    archived = parse_rfc3164(line, make_origin(year=2021))
    assert inferred["@timestamp"] == "2023-12-31T16:59:58.000000Z"
    assert archived["@timestamp"] == "2021-12-31T16:59:58.000000Z"


def test_configured_year_keeps_29_february_of_a_leap_year(make_origin: OriginFactory) -> None:
    origin = make_origin(year=2020, timezone="UTC")
    assert bsd_of("Feb 29 10:00:00", origin) == "2020-02-29T10:00:00.000000Z"
    assert bsd_of("Feb 29 10:00:00", make_origin(year=2021, timezone="UTC")) is None


def test_zone_applies_to_rfc3339_times_without_offset(make_origin: OriginFactory) -> None:
    fields = parse_rfc3164("2024-03-05T14:02:11 h app: m", make_origin(timezone="UTC"))
    assert fields["@timestamp"] == "2024-03-05T14:02:11.000000Z"


@pytest.mark.parametrize(
    ("stamp", "zone", "expected"),
    [
        ("Sun Dec 01 10:00:00.123456 2024", "Asia/Ho_Chi_Minh", "2024-12-01T03:00:00.123456Z"),
        ("Sun Dec 01 10:00:00 2024", "UTC", "2024-12-01T10:00:00.000000Z"),
        ("Tue Mar  5 14:02:11 2024", "Asia/Ho_Chi_Minh", "2024-03-05T07:02:11.000000Z"),
        ("Sun Dec 01 10:00:00 24", "UTC", None),
        ("Sun Foo 01 10:00:00 2024", "UTC", None),
        ("Dec 01 10:00:00 2024", "UTC", None),
    ],
)
def test_ctime(stamp: str, zone: str, expected: str | None) -> None:
    assert ctime(stamp, zone) == expected
