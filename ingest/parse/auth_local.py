"""Local privilege and account messages: sudo, su, login, systemd-logind, useradd & co.

``user.name`` is always the person acting; ``user.effective.name`` the account they act as
(sudo/su target); ``user.target.name`` the account being managed (useradd, usermod, passwd).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.parse.auth_pam import parse_pam
from ingest.parse.base import Fields
from ingest.parse.ecs import put_text

# --- sudo -----------------------------------------------------------------------------------
_SUDO = re.compile(r"\s*(\S+) : (.*)\Z", re.S)
_SUDO_FAILURES = (
    "incorrect password attempt",
    "NOT in sudoers",
    "command not allowed",
    "a password is required",
    "NOT authorized",
    "authentication failure",
)


def parse_sudo(message: str, fields: Fields) -> None:
    """``nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash``."""
    if message.startswith("pam_"):
        parse_pam(message, fields)
        return
    match = _SUDO.match(message)
    if match is None:
        return
    user, rest = match.groups()
    values: dict[str, str] = {}
    problems: list[str] = []
    parts = rest.split(" ; ")
    for index, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if sep and key == "COMMAND":
            # The command is last and may itself contain " ; ".
            values[key] = " ; ".join([value, *parts[index + 1 :]])
            break
        if sep and key.isupper() and key.isalpha():
            values[key] = value
        else:
            problems.append(part)
    fields["event.category"] = "process"
    fields["event.action"] = "sudo"
    fields["user.name"] = user
    fields["user.effective.name"] = values.get("USER", "root")
    for key, value in values.items():
        fields["system.auth.sudo." + key.lower()] = value
    put_text(fields, "process.command_line", values.get("COMMAND"))
    put_text(fields, "process.working_directory", values.get("PWD"))
    if problems:
        error = " ; ".join(problems)
        fields["system.auth.sudo.error"] = error
        if any(marker in error for marker in _SUDO_FAILURES):
            fields["event.outcome"] = "failure"
            return
    if "COMMAND" in values:
        fields["event.outcome"] = "success"


# --- su -------------------------------------------------------------------------------------
_SU = re.compile(r"(FAILED SU |FAILED su )?\(to (\S+)\) (\S+) on (\S+)\Z")
_SU_SHADOW = re.compile(r"([+-]) (\S+) (\S+):(\S+)\Z")


def parse_su(message: str, fields: Fields) -> None:
    if message.startswith("pam_"):
        _su_pam(message, fields)
        return
    if match := _SU.match(message):
        failed, target, user, tty = match.groups()
    elif match := _SU_SHADOW.match(message):
        sign, tty, user, target = match.groups()
        failed = "" if sign == "+" else "-"
    else:
        return
    fields["event.category"] = "authentication"
    fields["event.action"] = "su"
    fields["event.outcome"] = "failure" if failed else "success"
    fields["user.name"] = user
    fields["user.effective.name"] = target
    fields["system.auth.su.tty"] = tty


def _su_pam(message: str, fields: Fields) -> None:
    """su's own PAM lines are su events: on RHEL they are the only record of an su."""
    if not parse_pam(message, fields):
        return
    action = fields.get("event.action")
    if action == "session_opened":
        fields["event.category"] = "authentication"
        fields["event.action"] = "su"
    elif action == "pam_authentication":
        fields["event.action"] = "su"
        target = fields.get("user.name")
        invoker = fields.get("system.auth.pam.ruser") or fields.get("system.auth.pam.logname")
        if invoker:
            fields["user.name"] = invoker
        if target:
            fields["user.effective.name"] = target


# --- login and systemd-logind ---------------------------------------------------------------
_LOGIN_FAILED = re.compile(r"FAILED LOGIN \(\d+\) on '([^']*)' FOR '([^']*)', (.*)\Z", re.S)
_LOGIN_OK = re.compile(r"(?:ROOT LOGIN +on '([^']*)'|LOGIN ON (\S+) BY (\S+))")
_LOGIND_NEW = re.compile(r"New session (\S+) of user (\S+?)\.?\Z")
_LOGIND_REMOVED = re.compile(r"Removed session (\S+?)\.?\Z")


def parse_login(message: str, fields: Fields) -> None:
    if message.startswith("pam_"):
        parse_pam(message, fields)
        return
    if failed := _LOGIN_FAILED.match(message):
        tty, user, reason = failed.groups()
        fields["event.outcome"] = "failure"
        fields["system.auth.login.reason"] = reason
    elif ok := _LOGIN_OK.match(message):
        root_tty, tty, user = ok.groups()
        if root_tty is not None:
            tty, user = root_tty, "root"
        fields["event.outcome"] = "success"
    else:
        return
    fields["event.category"] = "authentication"
    fields["event.action"] = "login"
    fields["user.name"] = user
    fields["system.auth.login.tty"] = tty


def parse_logind(message: str, fields: Fields) -> None:
    if new := _LOGIND_NEW.match(message):
        fields["event.action"] = "session_opened"
        fields["system.auth.session.id"] = new.group(1)
        fields["user.name"] = new.group(2)
    elif removed := _LOGIND_REMOVED.match(message):
        fields["event.action"] = "session_closed"
        fields["system.auth.session.id"] = removed.group(1)
    else:
        return
    fields["event.category"] = "session"


# --- account management (useradd, groupadd, usermod, userdel, groupdel, gpasswd, passwd) ----
AccountHandler = Callable[[re.Match[str], Fields], None]


def _user_created(match: re.Match[str], fields: Fields) -> None:
    name, uid, gid, home, shell = match.groups()
    fields["event.action"] = "user_created"
    fields["user.target.name"] = name
    fields["user.target.id"] = uid
    fields["group.id"] = gid
    fields["system.auth.useradd.home"] = home
    fields["system.auth.useradd.shell"] = shell


def _group_created(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "group_created"
    fields["group.name"] = match.group(1)
    put_text(fields, "group.id", match.group(2))


def _added_to_group(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "user_added_to_group"
    fields["user.target.name"] = match.group("user")
    fields["group.name"] = match.group("group")
    put_text(fields, "user.name", match.groupdict().get("by"))


def _removed_from_group(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "user_removed_from_group"
    fields["user.target.name"] = match.group(1)
    fields["group.name"] = match.group(2)


def _user_modified(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "user_modified"
    fields["user.target.name"] = match.group(1)
    fields["system.auth.usermod.change"] = match.group(0)


def _user_deleted(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "user_deleted"
    fields["user.target.name"] = match.group(1)


def _group_deleted(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "group_deleted"
    fields["group.name"] = match.group(1) or match.group(2)


def _password_changed(match: re.Match[str], fields: Fields) -> None:
    fields["event.action"] = "password_changed"
    fields["user.target.name"] = match.group(1)
    fields["user.name"] = match.group(2)


_ACCOUNT_PATTERNS: tuple[tuple[re.Pattern[str], AccountHandler], ...] = (
    (
        re.compile(
            r"new user: name=([^,]*), UID=(\d+), GID=(\d+), home=([^,]*), shell=([^,]*)"
            r"(?:, from=.*)?\Z",
            re.S,
        ),
        _user_created,
    ),
    (re.compile(r"new group: name=([^,]*)(?:, GID=(\d+))?\Z"), _group_created),
    (
        re.compile(r"group added to /etc/(?:group|gshadow): name=([^,]*)(?:, GID=(\d+))?\Z"),
        _group_created,
    ),
    (
        re.compile(r"add '(?P<user>[^']*)' to (?:shadow )?group '(?P<group>[^']*)'\Z"),
        _added_to_group,
    ),
    (
        re.compile(r"user (?P<user>\S+) added by (?P<by>\S+) to group (?P<group>\S+)\Z"),
        _added_to_group,
    ),
    (re.compile(r"delete '([^']*)' from (?:shadow )?group '([^']*)'\Z"), _removed_from_group),
    (re.compile(r"(?:change|lock|unlock) user '([^']*)'.*\Z", re.S), _user_modified),
    (re.compile(r"delete user '([^']*)'\Z"), _user_deleted),
    (
        re.compile(r"(?:removed group '([^']*)' owned by '[^']*'|group '([^']*)' removed.*)\Z"),
        _group_deleted,
    ),
    (re.compile(r"password for '([^']*)' changed by '([^']*)'\Z"), _password_changed),
)


def parse_account(message: str, fields: Fields) -> None:
    if message.startswith("pam_"):
        parse_pam(message, fields)
        return
    for pattern, handle in _ACCOUNT_PATTERNS:
        if match := pattern.match(message):
            fields["event.category"] = "iam"
            fields["event.outcome"] = "success"
            handle(match, fields)
            return
