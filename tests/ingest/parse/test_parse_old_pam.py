"""The PAM lines of Linux-PAM before 0.99 (RHEL 4 and its peers, still on some city servers):
the module is in the tag, ``sshd(pam_unix)[19939]: authentication failure; ...``, where today's
PAM writes ``sshd[19939]: pam_unix(sshd:auth): authentication failure; ...``. Both forms must
give the same fields, so every rule written for one sees the other.

The old lines are verbatim in shape from a RHEL 4 /var/log/messages (the Loghub "Linux" set),
with our own addresses and names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

EventFields = Callable[..., dict[str, Any]]
HEADER = "Jun 14 15:16:01 combo "

DECIDED = (
    "event.dataset",
    "event.module",
    "event.category",
    "event.action",
    "event.outcome",
    "process.name",
    "process.pid",
    "user.name",
    "user.id",
    "user.effective.name",
    "source.ip",
    "source.domain",
    "system.auth.pam.module",
    "system.auth.pam.service",
    "system.auth.pam.type",
    "system.auth.pam.rhost",
    "system.auth.pam.ruser",
    "system.auth.pam.logname",
    "system.auth.pam.tty",
)

# (old form, the same event as today's PAM writes it)
PAIRS = [
    (
        "sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
        "ruser= rhost=198.51.100.23  user=root",
        "sshd[19939]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=198.51.100.23  user=root",
    ),
    # No user= (an unknown account): PAM leaves a space after the address.
    (
        "sshd(pam_unix)[19940]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
        "ruser= rhost=198.51.100.23 ",
        "sshd[19940]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=198.51.100.23 ",
    ),
    (
        "sshd(pam_unix)[19941]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
        "ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
        "sshd[19941]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
    ),
    (
        "sshd(pam_unix)[19942]: check pass; user unknown",
        "sshd[19942]: pam_unix(sshd:auth): check pass; user unknown",
    ),
    (
        "sshd(pam_unix)[10610]: session opened for user root by (uid=0)",
        "sshd[10610]: pam_unix(sshd:session): session opened for user root by (uid=0)",
    ),
    (
        "sshd(pam_unix)[10610]: session closed for user root",
        "sshd[10610]: pam_unix(sshd:session): session closed for user root",
    ),
    (
        "su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
        "su[21416]: pam_unix(su:session): session opened for user cyrus by (uid=0)",
    ),
    (
        "su(pam_unix)[21417]: authentication failure; logname=nguyenvana uid=500 euid=0 "
        "tty=pts/1 ruser=nguyenvana rhost=  user=root",
        "su[21417]: pam_unix(su:auth): authentication failure; logname=nguyenvana uid=500 "
        "euid=0 tty=pts/1 ruser=nguyenvana rhost=  user=root",
    ),
    (
        "login(pam_unix)[2345]: session opened for user root by LOGIN(uid=0)",
        "login[2345]: pam_unix(login:session): session opened for user root by LOGIN(uid=0)",
    ),
    (
        "login(pam_unix)[2346]: authentication failure; logname= uid=0 euid=0 tty=tty1 ruser= "
        "rhost=  user=root",
        "login[2346]: pam_unix(login:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=tty1 ruser= rhost=  user=root",
    ),
    (
        "sudo(pam_unix)[3120]: authentication failure; logname=nguyenvana uid=500 euid=0 "
        "tty=pts/2 ruser= rhost=  user=nguyenvana",
        "sudo[3120]: pam_unix(sudo:auth): authentication failure; logname=nguyenvana uid=500 "
        "euid=0 tty=pts/2 ruser= rhost=  user=nguyenvana",
    ),
    (
        "passwd(pam_unix)[3300]: password changed for thuctap01",
        "passwd[3300]: pam_unix(passwd:chauthtok): password changed for thuctap01",
    ),
]


def _decided(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: fields[key] for key in DECIDED if key in fields}


@pytest.mark.parametrize(("old", "modern"), PAIRS)
@pytest.mark.parametrize("parser", ["auth", "auto"])
def test_old_form_gives_the_fields_of_the_modern_form(
    event_fields: EventFields, old: str, modern: str, parser: str
) -> None:
    then = event_fields(HEADER + old, parser)
    now = event_fields(HEADER + modern, parser)
    assert _decided(then) == _decided(now)
    assert "event.action" in then or "check pass" in old
    assert then["log.syslog.appname"] == old.partition("[")[0]  # the tag as sent
    assert then["message"] == old.partition(": ")[2].strip()


def test_old_sshd_failure_has_the_ecs_fields_sshd_rules_use(event_fields: EventFields) -> None:
    fields = event_fields(HEADER + PAIRS[0][0], "auto")
    assert _decided(fields) == {
        "event.dataset": "system.auth",
        "event.module": "system",
        "event.category": "authentication",
        "event.action": "pam_authentication",
        "event.outcome": "failure",
        "process.name": "sshd",
        "process.pid": 19939,
        "user.name": "root",
        "source.ip": "198.51.100.23",
        "system.auth.pam.module": "pam_unix",
        "system.auth.pam.service": "sshd",
        "system.auth.pam.type": "auth",
        "system.auth.pam.rhost": "198.51.100.23",
        "system.auth.pam.tty": "NODEVssh",
    }


def test_old_su_failure_is_an_su_event(event_fields: EventFields) -> None:
    fields = event_fields(HEADER + PAIRS[7][0], "auth")
    assert (fields["event.action"], fields["event.outcome"]) == ("su", "failure")
    assert (fields["user.name"], fields["user.effective.name"]) == ("nguyenvana", "root")


@pytest.mark.parametrize(
    "tag",
    ["(pam_unix)", "sshd(pam_unix", "sshd()", "sshd(pam_unix)(pam_unix)", "sshd(notpam)"],
)
def test_tags_that_only_look_old_stay_as_sent(event_fields: EventFields, tag: str) -> None:
    fields = event_fields(f"{HEADER}{tag}[1]: authentication failure; rhost=1.2.3.4", "auto")
    assert fields.get("process.name") == tag
    assert "event.action" not in fields
