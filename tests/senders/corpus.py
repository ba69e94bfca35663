"""What a city server's programs log, as each program writes it, with the exact fields the
pipeline must make of it and the alerts the project's rules must raise.

Every line carries a marker of its own (a port, a request path, a record number) so its event
can be found among the others whatever a sender did to the rest of the record. Some text is
in decomposed Unicode (NFD, as macOS keyboards produce it): it must come out NFC.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from canhgac.models import Event
from tests.senders.pipeline import AlertSeen, by_original, nfc

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# RFC 3164 carries whole seconds; a sender stamps a record when it reads it.
CLOCK_TOLERANCE = timedelta(seconds=5)


@dataclass(frozen=True)
class Line:
    """One message a program logs, and the fields its event must have."""

    tag: str  # the program name as it logs, e.g. sshd or sshd(pam_unix)
    pid: int
    priority: str  # facility.severity, as logger -p takes it
    message: str
    marker: str
    expected: dict[str, Any] = field(default_factory=dict)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _access_time() -> str:
    return datetime.now(HANOI).strftime("%d/%b/%Y:%H:%M:%S %z")


def _error_time() -> str:
    return datetime.now(HANOI).strftime("%Y/%m/%d %H:%M:%S")


def _ssh(outcome: str, user: str, ip: str, **more: Any) -> dict[str, Any]:
    return {
        "event.dataset": "system.auth",
        "event.action": "ssh_login",
        "event.outcome": outcome,
        "process.name": "sshd",
        "user.name": user,
        "source.ip": ip,
        **more,
    }


def _pam_failure(ip: str) -> dict[str, Any]:
    return {
        "event.dataset": "system.auth",
        "event.action": "pam_authentication",
        "event.outcome": "failure",
        "process.name": "sshd",
        "user.name": "root",
        "source.ip": ip,
        "system.auth.pam.module": "pam_unix",
    }


SQLI_QUERY = "ma=1%27%20UNION%20SELECT%20username,password%20FROM%20nguoi_dung--"
PORTAL_PATH = "/dịch-vụ-công/nộp-hồ-sơ"
PORTAL_TARGET = (
    "/d%E1%BB%8Bch-v%E1%BB%A5-c%C3%B4ng/n%E1%BB%99p-h%E1%BB%93-s%C6%A1?ho_so=HS-2026-0042"
)
PORTAL_NOTICE = "Hồ sơ HS-2026-0042 của công dân Nguyễn Văn An đã được tiếp nhận"


def city_lines() -> list[Line]:
    """The lines every sender carries; built at send time (the web lines hold the time)."""
    return [
        Line(
            "sshd",
            2231,
            "auth.info",
            "Failed password for root from 203.0.113.5 port 40101 ssh2",
            "port 40101",
            _ssh(
                "failure",
                "root",
                "203.0.113.5",
                message="Failed password for root from 203.0.113.5 port 40101 ssh2",
            ),
        ),
        Line(
            "sshd",
            2232,
            "auth.info",
            _nfd("Invalid user nguyễn.văn.a from 203.0.113.6 port 40102"),
            "port 40102",
            _ssh(
                "failure",
                "nguyễn.văn.a",
                "203.0.113.6",
                message="Invalid user nguyễn.văn.a from 203.0.113.6 port 40102",
            ),
        ),
        Line(
            "sshd",
            2233,
            "auth.info",
            "Accepted publickey for nguyenvana from 10.20.1.15 port 40103 ssh2: ED25519 SHA256:Jq3h8W1xT0cGm4t5ZbB1m8cQeFh0uQyYk2nA9vR3sLk",
            "port 40103",
            _ssh("success", "nguyenvana", "10.20.1.15"),
        ),
        Line(
            "sudo",
            3101,
            "authpriv.notice",
            "nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash",
            "COMMAND=/bin/bash",
            {
                "event.dataset": "system.auth",
                "event.action": "sudo",
                "event.outcome": "success",
                "process.name": "sudo",
                "user.name": "nguyenvana",
                "user.effective.name": "root",
                "process.command_line": "/bin/bash",
            },
        ),
        Line(
            "sshd",
            2234,
            "authpriv.notice",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
            "rhost=203.0.113.7 ",
            _pam_failure("203.0.113.7"),
        ),
        # The pre-2008 Linux-PAM form, still written by old appliances and CentOS 5 hosts.
        Line(
            "sshd(pam_unix)",
            2235,
            "authpriv.notice",
            "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.8  user=root",
            "rhost=203.0.113.8 ",
            _pam_failure("203.0.113.8"),
        ),
        Line(
            "nginx",
            1201,
            "local7.info",
            f'203.0.113.9 - - [{_access_time()}] "GET /tra-cuu/ho-so?{SQLI_QUERY} HTTP/1.1" 200 512 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
            "/tra-cuu/ho-so?",
            {
                "event.dataset": "nginx.access",
                "process.name": "nginx",
                "source.ip": "203.0.113.9",
                "http.request.method": "GET",
                "http.response.status_code": 200,
                "url.path": "/tra-cuu/ho-so",
            },
        ),
        Line(
            "nginx",
            1201,
            "local7.info",
            f'10.20.3.7 - - [{_access_time()}] "GET {PORTAL_TARGET} HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"',
            "HS-2026-0042 HTTP",
            {
                "event.dataset": "nginx.access",
                "process.name": "nginx",
                "source.ip": "10.20.3.7",
                "url.path": PORTAL_PATH,
            },
        ),
        Line(
            "nginx",
            1201,
            "local7.err",
            f'{_error_time()} [error] 1201#1201: *77 open() "/usr/share/nginx/html/wp-login.php" failed (2: No such file or directory), client: 203.0.113.10, server: dichvucong.hanoi.gov.vn, request: "GET /wp-login.php HTTP/1.1", host: "dichvucong.hanoi.gov.vn"',
            "*77 open()",
            {
                "event.dataset": "nginx.error",
                "process.name": "nginx",
                "log.level": "error",
                "source.ip": "203.0.113.10",
                "url.path": "/wp-login.php",
            },
        ),
        Line(
            "dichvucong",
            4401,
            "local0.info",
            _nfd(PORTAL_NOTICE),
            _nfd("HS-2026-0042 của"),
            {"process.name": "dichvucong", "message": PORTAL_NOTICE},
        ),
    ]


# A password-guessing run against one account from one address, then the guessed password:
# the counting and the ordered correlations must fire.
BRUTE_FORCE_IP = "198.51.100.23"
BRUTE_FORCE = [
    f"Failed password for admin from {BRUTE_FORCE_IP} port {41000 + n} ssh2" for n in range(22)
]
# Sent in the next whole second: RFC 3164 times have no fraction, and the ordered correlation
# rightly does not order events of the same instant.
GUESSED = f"Accepted password for admin from {BRUTE_FORCE_IP} port 41022 ssh2"

# (rule title, group) of every alert city_lines() + BRUTE_FORCE must raise.
EXPECTED_ALERTS = {
    ("SSH Password Authentication Failed", (("source.ip", "203.0.113.5"),)),
    ("SSH Password Authentication Failed", (("source.ip", BRUTE_FORCE_IP),)),
    ("SSH Login Attempt for a Non-Existent User", (("source.ip", "203.0.113.6"),)),
    ("Interactive Root Shell Through Sudo", ()),
    ("SQL Injection Attempt in Request", (("source.ip", "203.0.113.9"),)),
    ("SSH Brute Force From One Source", (("source.ip", BRUTE_FORCE_IP),)),
    ("SSH Brute Force Against One Account", (("user.name", "admin"),)),
    (
        "SSH Login Accepted After Repeated Failures",
        (("source.ip", BRUTE_FORCE_IP), ("user.name", "admin")),
    ),
}


def check_event(events: Sequence[Event], line: Line, sent_at: datetime) -> list[str]:
    """What is wrong with the event of ``line`` (empty: nothing)."""
    try:
        event = by_original(events, line.marker)
    except AssertionError as missing:
        return [str(missing).splitlines()[0]]
    fields = event.fields
    problems = [
        f"{name} = {fields.get(name)!r}, expected {nfc(want) if isinstance(want, str) else want!r}"
        for name, want in line.expected.items()
        if fields.get(name) != (nfc(want) if isinstance(want, str) else want)
    ]
    stamp = datetime.fromisoformat(str(fields["@timestamp"]).replace("Z", "+00:00"))
    if abs(stamp - sent_at.astimezone(UTC)) > CLOCK_TOLERANCE:
        problems.append(f"@timestamp {fields['@timestamp']} is not the send time {sent_at}")
    if fields.get("event.timestamp_fallback"):
        problems.append("the record's time was not read (event.timestamp_fallback)")
    return [f"{line.marker!r}: {p}" for p in problems]


def alert_keys(alerts: set[AlertSeen]) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {(alert.title, alert.group) for alert in alerts}
