"""Lines exactly as real senders write them: the message after the syslog header may start or
end with whitespace, and every message parser must still understand it.

rsyslog's RFC 5424 forwarding template (RSYSLOG_SyslogProtocol23Format) is
``"<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID%
%STRUCTURED-DATA% %msg%\\n"``; for a local program's message ``%msg%`` keeps the space that
followed ``tag:``, so the line reads ``... - - - Failed password ...`` with two spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

EventFields = Callable[..., dict[str, Any]]

# What the message parsers decide; the header fields are tested elsewhere.
DECIDED = (
    "event.dataset",
    "event.category",
    "event.action",
    "event.outcome",
    "process.name",
    "user.name",
    "user.effective.name",
    "user.target.name",
    "source.ip",
    "source.port",
    "system.auth.ssh.event",
    "system.auth.ssh.method",
    "system.auth.pam.service",
    "process.command_line",
    "hanoi.auditd.record_type",
    "event.code",
    "observer.vendor",
)

# (program, pid, message) as the program hands it to syslog(3).
MESSAGES = [
    ("sshd", 4242, "Failed password for root from 203.0.113.5 port 51234 ssh2"),
    (
        "sshd",
        4242,
        "Accepted publickey for quantri from 10.20.0.5 port 52344 ssh2: ED25519 SHA256:x",
    ),
    ("sshd", 4243, "Invalid user Nguyễn Văn An from 203.0.113.5 port 51235"),
    (
        "sshd",
        4244,
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=203.0.113.5  user=root",
    ),
    ("sudo", None, "nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash"),
    ("su", 4410, "FAILED SU (to root) nguyenvana on pts/1"),
    (
        "useradd",
        5101,
        "new user: name=backdoor, UID=1010, GID=1010, home=/home/backdoor, shell=/bin/bash, "
        "from=/dev/pts/0",
    ),
    ("systemd-logind", 812, "New session 42 of user quantri."),
    (
        "audisp-syslog",
        None,
        'type=EXECVE msg=audit(1709622131.123:4567): argc=2 a0="cat" a1="/etc/shadow"',
    ),
    ("cef", None, "CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar|6|src=203.0.113.5"),
]


def _rfc3164(program: str, pid: int | None, message: str) -> str:
    """rsyslog's RSYSLOG_TraditionalForwardFormat: one space after ``tag:``."""
    tag = f"{program}[{pid}]" if pid is not None else program
    return f"<86>Mar  5 14:02:11 web01 {tag}: {message}"


def _rsyslog_rfc5424(program: str, pid: int | None, message: str) -> str:
    """RSYSLOG_SyslogProtocol23Format forwarding a local message: MSG keeps its space."""
    procid = str(pid) if pid is not None else "-"
    return f"<86>1 2024-03-05T14:02:11.000000+07:00 web01 {program} {procid} - -  {message}"


def _decided(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: fields[key] for key in DECIDED if key in fields}


# The ``auth`` parser reads auth log programs only; ``auto`` every message above.
_NOT_AUTH = ("audisp-syslog", "cef")
PARSER_CASES = [("auto", *case) for case in MESSAGES] + [
    ("auth", *case) for case in MESSAGES if case[0] not in _NOT_AUTH
]


@pytest.mark.parametrize(("parser", "program", "pid", "message"), PARSER_CASES)
def test_rsyslog_rfc5424_is_understood_like_rfc3164(
    event_fields: EventFields, parser: str, program: str, pid: int | None, message: str
) -> None:
    bsd = event_fields(_rfc3164(program, pid, message), parser)
    line = _rsyslog_rfc5424(program, pid, message)
    ietf = event_fields(line, parser)
    assert ietf["event.original"] == line  # byte-exact, leading space and all
    assert ietf["message"] == bsd["message"] and not ietf["message"].startswith(" ")
    assert ietf["@timestamp"] == bsd["@timestamp"]
    assert _decided(ietf) == _decided(bsd)
    # The message was understood, not just stored.
    assert {"event.action", "hanoi.auditd.record_type", "observer.vendor"} & set(ietf)


@pytest.mark.parametrize(
    "line",
    [
        # Trailing blanks (a relay padding the frame) and a CR left by a Windows forwarder.
        "<86>Mar  5 14:02:11 web01 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2  ",
        "<86>Mar  5 14:02:11 web01 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2\r",
        # Several spaces or a tab after "tag:".
        "<86>Mar  5 14:02:11 web01 sshd[1]:   Failed password for root from 203.0.113.5 port 22 ssh2",
        "<86>Mar  5 14:02:11 web01 sshd[1]: \tFailed password for root from 203.0.113.5 port 22 ssh2",
        "<86>1 2024-03-05T14:02:11+07:00 web01 sshd 1 - -  Failed password for root from "
        "203.0.113.5 port 22 ssh2 \r",
    ],
)
def test_blanks_around_the_message_do_not_hide_it(event_fields: EventFields, line: str) -> None:
    fields = event_fields(line, "auto")
    assert _decided(fields) == {
        "event.dataset": "system.auth",
        "event.category": "authentication",
        "event.action": "ssh_login",
        "event.outcome": "failure",
        "process.name": "sshd",
        "user.name": "root",
        "source.ip": "203.0.113.5",
        "source.port": 22,
        "system.auth.ssh.event": "Failed",
        "system.auth.ssh.method": "password",
    }
    assert fields["event.original"] == line.rstrip("\r\n")


@pytest.mark.parametrize(
    "line",
    [
        # PAM pads "rhost=ADDRESS " when there is no user= after it (Linux-PAM 0.77, RHEL 4).
        "<86>Mar  5 14:02:11 web01 sshd[1]: pam_unix(sshd:auth): authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5 ",
        "<86>Mar  5 14:02:11 web01 sshd[1]: pam_unix(sshd:session): session opened for user "
        "root by (uid=0) ",
    ],
)
def test_pam_lines_with_a_trailing_space(event_fields: EventFields, line: str) -> None:
    fields = event_fields(line, "auth")
    assert fields["event.action"] in ("pam_authentication", "session_opened")
    assert fields.get("source.ip", "203.0.113.5") == "203.0.113.5"
    assert fields.get("user.name", "root") == "root"


@pytest.mark.parametrize(
    ("line", "dataset"),
    [
        (' {"message": "Đã nhận hồ sơ", "@timestamp": "2024-03-05T08:00:00Z"}', "app"),
        ("\tCEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar|6|src=203.0.113.5", "cef"),
        ("  type=USER_LOGIN msg=audit(1709622131.482:7): pid=5 uid=0 res=failed", "auditd.log"),
    ],
)
def test_indented_bare_records_are_recognised(
    event_fields: EventFields, line: str, dataset: str
) -> None:
    fields = event_fields(line, "auto")
    assert fields["event.dataset"] == dataset
    assert fields["event.original"] == line
