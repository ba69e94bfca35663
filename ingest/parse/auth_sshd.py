"""OpenSSH server messages (``sshd``, and ``sshd-session`` since OpenSSH 9.8).

The user name is attacker-chosen and may hold spaces or a fake ``from 1.2.3.4 port 22``; the
patterns take the *last* "from ADDRESS port N", which sshd itself writes after the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.parse.auth_pam import parse_pam
from ingest.parse.base import Fields
from ingest.parse.ecs import put_address, put_int

_LOGIN = re.compile(
    r"(Accepted|Failed) (\S+) for (invalid user )?(.*) from (\S+) port (\d+)"
    r"(?: ssh2?)?(?:: (.*))?\Z",
    re.S,
)
_INVALID_USER = re.compile(r"Invalid user (.*) from (\S+)(?: port (\d+))?\Z", re.S)
_CLOSED_USER = re.compile(
    r"(Connection closed by|Disconnected from) (authenticating user|invalid user|user) "
    r"(.*) (\S+) port (\d+)(?: \[preauth\])?\Z",
    re.S,
)
_CLOSED = re.compile(
    r"(?:Connection closed by|Connection reset by|Received disconnect from|Disconnected from) "
    r"(\S+) port (\d+)(?:[: ].*)?\Z",
    re.S,
)
_MAX_ATTEMPTS = re.compile(
    r"error: maximum authentication attempts exceeded for (invalid user )?(.*) "
    r"from (\S+) port (\d+)(?: ssh2)?(?: \[preauth\])?\Z",
    re.S,
)
_NO_IDENTIFICATION = re.compile(
    r"Did not receive identification string from (\S+)(?: port (\d+))?\Z", re.S
)


def _source(fields: Fields, address: str, port: str | None) -> None:
    put_address(fields, "source", address)
    put_int(fields, "source.port", port)


def _login(match: re.Match[str], fields: Fields) -> None:
    verdict, method, invalid, user, address, port, signature = match.groups()
    fields["event.action"] = "ssh_login"
    fields["event.outcome"] = "success" if verdict == "Accepted" else "failure"
    fields["system.auth.ssh.event"] = verdict
    fields["system.auth.ssh.method"] = method
    if invalid:
        fields["system.auth.ssh.invalid_user"] = True
    if signature:
        fields["system.auth.ssh.signature"] = signature
    fields["user.name"] = user
    _source(fields, address, port)


def _invalid_user(match: re.Match[str], fields: Fields) -> None:
    user, address, port = match.groups()
    fields["event.action"] = "ssh_login"
    fields["event.outcome"] = "failure"
    fields["system.auth.ssh.event"] = "Invalid user"
    fields["system.auth.ssh.invalid_user"] = True
    fields["user.name"] = user
    _source(fields, address, port)


def _closed_user(match: re.Match[str], fields: Fields) -> None:
    what, state, user, address, port = match.groups()
    fields["event.action"] = "ssh_disconnect"
    fields["system.auth.ssh.event"] = what
    fields["system.auth.ssh.user_state"] = state
    fields["user.name"] = user
    _source(fields, address, port)


def _closed(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "ssh_disconnect"
    _source(fields, match.group(1), match.group(2))


def _max_attempts(match: re.Match[str], fields: Fields) -> None:
    invalid, user, address, port = match.groups()
    fields["event.action"] = "ssh_max_auth_attempts"
    fields["event.outcome"] = "failure"
    if invalid:
        fields["system.auth.ssh.invalid_user"] = True
    fields["user.name"] = user
    _source(fields, address, port)


def _no_identification(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "ssh_no_identification"
    _source(fields, match.group(1), match.group(2))


_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], Fields], None]], ...] = (
    (_LOGIN, _login),
    (_INVALID_USER, _invalid_user),
    (_CLOSED_USER, _closed_user),
    (_CLOSED, _closed),
    (_MAX_ATTEMPTS, _max_attempts),
    (_NO_IDENTIFICATION, _no_identification),
)


def parse_sshd(message: str, fields: Fields) -> None:
    if message.startswith("pam_"):
        parse_pam(message, fields)
        return
    for pattern, handle in _PATTERNS:
        if match := pattern.match(message):
            fields["event.category"] = "authentication"
            handle(match, fields)
            return
