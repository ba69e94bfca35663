"""PAM lines, which any program in the auth log can write.

``pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=...``
``pam_unix(sudo:session): session opened for user root(uid=0) by nguyenvana(uid=1000)``

For a session, ``user.name`` is who opened it and ``user.effective.name`` the account it runs
as (the same convention as sudo and su); with no "by" user (sshd) it is the session's user.
"""

from __future__ import annotations

import re

from ingest.parse.base import Fields
from ingest.parse.ecs import put_address, put_text

_PAM = re.compile(r"(pam_\w+)\(([^:()\s]+):(\w+)\): (.*)\Z", re.S)
_KEY_VALUE = re.compile(r"(?<!\w)(\w+)=(\S*)")  # look-behind: linear on long words
_SESSION_OPENED = re.compile(
    r"session opened for user (\S+?)(?:\(uid=(\d+)\))?(?: by (\S*?)(?:\(uid=(\d+)\))?)?\Z"
)
_SESSION_CLOSED = re.compile(r"session closed for user (\S+)\Z")
_PASSWORD_CHANGED = re.compile(r"password changed for (\S+)\Z")


def parse_pam(message: str, fields: Fields) -> bool:
    """Add the fields of a PAM line; False if the message is not one."""
    match = _PAM.match(message)
    if match is None:
        return False
    module, service, kind, body = match.groups()
    fields["system.auth.pam.module"] = module
    fields["system.auth.pam.service"] = service
    fields["system.auth.pam.type"] = kind
    if body.startswith("authentication failure"):
        _authentication_failure(body, fields)
    elif opened := _SESSION_OPENED.match(body):
        owner, owner_id, opener, _ = opened.groups()
        fields["event.category"] = "session"
        fields["event.action"] = "session_opened"
        fields["event.outcome"] = "success"
        if opener:
            fields["user.name"] = opener
            fields["user.effective.name"] = owner
        else:
            fields["user.name"] = owner
            put_text(fields, "user.id", owner_id)
    elif closed := _SESSION_CLOSED.match(body):
        fields["event.category"] = "session"
        fields["event.action"] = "session_closed"
        fields["user.name"] = closed.group(1)
    elif changed := _PASSWORD_CHANGED.match(body):
        fields["event.category"] = "iam"
        fields["event.action"] = "password_changed"
        fields["event.outcome"] = "success"
        fields["user.target.name"] = changed.group(1)
    return True


def _authentication_failure(body: str, fields: Fields) -> None:
    _, _, details = body.partition(";")
    values = dict(_KEY_VALUE.findall(details))
    for key in ("logname", "uid", "euid", "tty", "ruser", "rhost", "user"):
        put_text(fields, "system.auth.pam." + key, values.get(key))
    fields["event.category"] = "authentication"
    fields["event.action"] = "pam_authentication"
    fields["event.outcome"] = "failure"
    put_text(fields, "user.name", values.get("user"))
    put_address(fields, "source", values.get("rhost"))
