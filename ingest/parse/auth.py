"""The ``auth`` parser: syslog lines of /var/log/auth.log and /var/log/secure.

The syslog header is parsed first; the program name then picks the message parser from
:data:`PROGRAMS`. Lines from other programs in the same file (cron, polkit, ...) keep their
syslog fields and the ``system.auth`` dataset; PAM lines are understood from any program.

Linux-PAM before 0.99 (RHEL 4 and its peers) put the module in the tag instead of the message:
``sshd(pam_unix)[4711]: authentication failure; ...`` is today's ``sshd[4711]:
pam_unix(sshd:auth): authentication failure; ...``. Such a line is read as its modern form, so
it gets the same fields (``process.name`` is ``sshd``) and every rule sees it.
"""

from __future__ import annotations

import re
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


_OLD_PAM_TAG = re.compile(r"([^()\s]+)\((pam_\w+)\)\Z")
# The PAM stack an old-form line came from, which its tag does not say, by how its text starts.
_OLD_PAM_TYPES = (("session ", "session"), ("password ", "chauthtok"))


def is_auth(fields: Fields) -> bool:
    """Whether a parsed syslog record belongs to the auth parser (used by ``auto``)."""
    program = fields.get("process.name")
    return (
        program in PROGRAMS
        or str(fields.get("message", "")).startswith("pam_unix(")
        or (isinstance(program, str) and _OLD_PAM_TAG.match(program) is not None)
    )


def _modern_pam(fields: Fields, message: str) -> str:
    """An old-form PAM line's message as today's PAM writes it, and ``process.name`` set to
    the program; any other message unchanged."""
    old = _OLD_PAM_TAG.match(fields.get("process.name", ""))
    if old is None:
        return message
    program, module = old.groups()
    fields["process.name"] = program
    kind = next((kind for start, kind in _OLD_PAM_TYPES if message.startswith(start)), "auth")
    return f"{module}({program}:{kind}): {message}"


def enrich_auth(fields: Fields, origin: Origin) -> Fields:
    """Turn parsed syslog header fields into a ``system.auth`` event."""
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "system"
    message = _modern_pam(fields, fields.get("message", ""))
    handler = PROGRAMS.get(fields.get("process.name", ""), parse_pam)
    handler(message, fields)
    return fields


def parse_auth(text: str, origin: Origin) -> Fields:
    fields = match_syslog(text, origin)
    if fields is None:
        raise ParseError("not an auth log line: no syslog header")
    return enrich_auth(fields, origin)
