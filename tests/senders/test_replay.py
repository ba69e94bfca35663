"""The README's measurement: a 2,000-line sshd attack forwarded by rsyslog with its stock
RFC 5424 template raises exactly the alerts the same lines raise when tailed from auth.log.

In the field, rsyslog's RFC 5424 forwarding put a space before every MSG and none of 2,000
sshd lines was understood, while the file path worked. Here sshd's lines reach rsyslog as
syslog(3) writes them (a local socket, the time sshd stamped kept); rsyslog forwards them to
one pipeline and the auth.log they form is tailed by another.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.attack_log import HOST, LINES, attack_log
from tests.senders.pipeline import Pipeline
from tests.senders.programs import StartDaemon, omfwd, rsyslog

pytestmark = pytest.mark.senders

# Alerts the attack must raise (titles), whichever way its lines came in.
ATTACK_ALERTS = {
    "SSH Brute Force From One Source",
    "SSH Brute Force Against One Account",
    "SSH Password Spraying From One Source",
    "SSH Login Attempt for a Non-Existent User",
    "SSH Password Authentication Failed",
    "SSH Login Accepted After Repeated Failures",
}


def test_an_attack_forwarded_by_rsyslog_rfc5424_raises_the_alerts_of_its_auth_log(
    tmp_path: Path, rules: CompiledRuleSet, start_daemon: StartDaemon
) -> None:
    entries = attack_log(datetime.now(UTC))
    auth_log = tmp_path / "auth.log"
    auth_log.write_text("".join(e.file_line() + "\n" for e in entries), encoding="utf-8")
    tailed = Pipeline(
        _dir(tmp_path, "tailed"),
        [{"type": "file", "name": "auth-log", "path": str(auth_log), "parser": "auth"}],
    )
    forwarded = Pipeline.listening(_dir(tmp_path, "forwarded"))
    action = omfwd(forwarded.port, "tcp", "RSYSLOG_SyslogProtocol23Format", "octet-counted")
    daemon = rsyslog(_dir(tmp_path, "rsyslog"), action, hostname=HOST, keep_timestamps=True)
    try:
        started = time.monotonic()
        tailed.start()
        forwarded.start()
        start_daemon(daemon)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dev_log:
            for entry in entries:
                dev_log.sendto(entry.datagram(), str(daemon.socket))
        tailed.wait_stored(LINES, timeout=60)
        forwarded.wait_stored(LINES, timeout=60)
        stored = time.monotonic() - started
        from_file, from_rsyslog = tailed.alerts(rules), forwarded.alerts(rules)
    finally:
        tailed.stop()
        forwarded.stop()
    print(
        f"\n{LINES} sshd lines stored by both paths in {stored:.1f}s;"
        f" tailed auth.log: {len(tailed.events())} events, {len(from_file)} alerts;"
        f" rsyslog RFC 5424: {len(forwarded.events())} events, {len(from_rsyslog)} alerts"
    )
    for alert in sorted(from_file | from_rsyslog, key=lambda a: (a.title, a.first_seen)):
        where = {True: "both", False: "file only"}[alert in from_rsyslog]
        where = where if alert in from_file else "rsyslog only"
        print(f"  {where:12} {alert.brief()}")
    assert tailed.dead_letters() == [] and forwarded.dead_letters() == []
    assert {a.title for a in from_file} == ATTACK_ALERTS
    assert from_rsyslog == from_file


def _dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir()
    return path
