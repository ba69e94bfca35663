"""`canhgac run` end to end: logs in through syslog, HTTP and a tailed file; exact alerts out."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest

from canhgac.models import AlertFilter
from canhgac.store.sqlite import SQLiteStore

from .conftest import Instance, wait_for

pytestmark = pytest.mark.e2e

SSH_INVALID = (
    "<38>Nov 27 10:00:01 congdan-web01 sshd[2231]: Invalid user admin from 203.0.113.5 port 4242"
)
SSH_INVALID_AGAIN = "<38>Nov 27 10:00:03 congdan-web01 sshd[2231]: Failed password for invalid user oracle from 203.0.113.5 port 4244 ssh2"
SSH_BENIGN = "<38>Nov 27 10:01:05 congdan-web01 sshd[2302]: Accepted publickey for nguyenvana from 10.20.1.15 port 50023 ssh2: ED25519 SHA256:Jq3h8W1xT0cGm4t5ZbB1m8cQeFh0uQyYk2nA9vR3sLk"
SUDO_SHELL = "<86>Nov 27 10:05:00 ecab-db01 sudo:  nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash"
SUDO_BENIGN = "<86>Nov 27 10:06:00 ecab-db01 sudo:  nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
LOG_CLEARED = {
    "EventTime": "2026-11-27 11:50:05",
    "Hostname": "ECAB-WS-022.ubnd.hanoi.gov.vn",
    "EventID": 1102,
    "SourceName": "Microsoft-Windows-Eventlog",
    "Channel": "Security",
    "Message": "The audit log was cleared.",
    "SubjectUserName": "tranthib",
    "SubjectDomainName": "UBND",
}
LOGON_BENIGN = {
    "EventTime": "2026-11-27 11:51:00",
    "Hostname": "ECAB-WS-022.ubnd.hanoi.gov.vn",
    "EventID": 4624,
    "Channel": "Security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "TargetUserName": "nguyễn.văn.an",
    "LogonType": 2,
}
SQLI = [
    '203.0.113.9 - - [27/Nov/2026:10:15:32 +0700] "GET /tra-cuu/ho-so?ma=1%27%20UNION%20SELECT%20username,password%20FROM%20nguoi_dung-- HTTP/1.1" 200 512 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
    '203.0.113.9 - - [27/Nov/2026:10:15:33 +0700] "GET /tra-cuu/ho-so?ma=1%2527%2520or%25201%253D1-- HTTP/1.1" 200 498 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
]
PORTAL_BENIGN = '10.20.3.7 - - [27/Nov/2026:10:16:00 +0700] "GET /dich-vu-cong/nop-ho-so?ten=Nguy%E1%BB%85n%20V%C4%83n%20An HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"'

EXPECTED = {
    # rule file stem -> matched events counted on its one alert
    "lnx_sshd_invalid_user": 2,
    # "Failed password for invalid user …" is also a failed password.
    "lnx_sshd_failed_password": 1,
    "lnx_sudo_root_shell": 1,
    "win_security_log_cleared": 1,
    "web_sql_injection": 2,
}
SENT = 2 + 1 + 2 + 2 + 2 + 1  # lines and records sent below


def _send_all(instance: Instance) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in (SSH_INVALID, SSH_INVALID_AGAIN, SSH_BENIGN):
            udp.sendto(line.encode(), ("127.0.0.1", instance.syslog_port))
    with socket.create_connection(("127.0.0.1", instance.syslog_port)) as tcp:
        for line in (SUDO_SHELL, SUDO_BENIGN):
            frame = line.encode()
            tcp.sendall(f"{len(frame)} ".encode() + frame)
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in (LOG_CLEARED, LOGON_BENIGN))
    request = urllib.request.Request(
        f"http://127.0.0.1:{instance.http_port}/ingest",
        data=body.encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    with instance.log_file.open("a", encoding="utf-8") as log:
        log.write("\n".join([*SQLI, PORTAL_BENIGN]) + "\n")


def _alerts_by_rule(db: Path) -> dict[str, int]:
    store = SQLiteStore(db)
    try:
        alerts = store.list_alerts(AlertFilter(limit=1000))
    finally:
        store.close()
    counts: dict[str, int] = {}
    for alert in alerts:
        stem = Path(alert.rule_path).stem
        assert stem not in counts, f"two alerts for {stem}"
        counts[stem] = alert.count
    return counts


def _stored(db: Path) -> int:
    store = SQLiteStore(db)
    try:
        return store.count_events() + store.count_dead_letters()
    finally:
        store.close()


def test_logs_in_through_every_source_raise_exactly_the_expected_alerts(
    instance: Instance,
) -> None:
    instance.start()
    _send_all(instance)
    wait_for(lambda: _stored(instance.db_path) >= SENT, 30, "every record to be stored")
    wait_for(lambda: _alerts_by_rule(instance.db_path) == EXPECTED, 90, f"alerts {EXPECTED}")
    assert _stored(instance.db_path) == SENT
    # The console channel reports each alert once, from the notification outbox.
    wait_for(lambda: instance.output().count("[Canh Gác]") >= len(EXPECTED), 15, "notifications")
    instance.stop()
    assert instance.process is not None and instance.process.returncode == 0, instance.output()
    assert instance.output().count("[Canh Gác]") == len(EXPECTED)
