"""The ``auth`` parser: syslog lines of /var/log/auth.log and /var/log/secure.

The syslog header is parsed first; the program name then picks the message parser from
:data:`PROGRAMS`. Lines from other programs in the same file (cron, polkit, ...) keep their
syslog fields and the ``system.auth`` dataset; PAM lines are understood from any program.
"""

from __future__ import annotations

from collections.abc import Callable

from canhgac.errors import ParseError
from ingest.parse.auth_local import parse_account, parse_login, parse_logind, parse_su, parse_sudo
from ingest.parse.auth_pam import parse_pam
from ingest.parse.auth_sshd import parse_sshd
from ingest.parse.base import Fields, Origin
from ingest.parse.syslog import match_syslog

DATASET = "system.auth"

MessageParser = Callable[[str, Fields], object]

PROGRAMS: dict[str, MessageParser] = {
    "sshd": parse_sshd,
    "sshd-session": parse_sshd,
    "sudo": parse_sudo,
    "su": parse_su,
    "login": parse_login,
    "systemd-logind": parse_logind,
    "useradd": parse_account,
    "groupadd": parse_account,
    "usermod": parse_account,
    "userdel": parse_account,
    "groupdel": parse_account,
    "groupmod": parse_account,
    "gpasswd": parse_account,
    "passwd": parse_account,
    "chpasswd": parse_account,
}


def is_auth(fields: Fields) -> bool:
    """Whether a parsed syslog record belongs to the auth parser (used by ``auto``)."""
    return fields.get("process.name") in PROGRAMS or str(fields.get("message", "")).startswith(
        "pam_unix("
    )


def enrich_auth(fields: Fields, origin: Origin) -> Fields:
    """Turn parsed syslog header fields into a ``system.auth`` event."""
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "system"
    message = fields.get("message", "")
    handler = PROGRAMS.get(fields.get("process.name", ""), parse_pam)
    handler(message, fields)
    return fields


def parse_auth(text: str, origin: Origin) -> Fields:
    fields = match_syslog(text, origin)
    if fields is None:
        raise ParseError("not an auth log line: no syslog header")
    return enrich_auth(fields, origin)
