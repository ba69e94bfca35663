"""The auth parser: sshd, sudo, su, login, systemd-logind, PAM and account management."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.auth import parse_auth
from ingest.parse.base import Origin

OriginFactory = Callable[..., Origin]
HEADER = "Mar  5 14:02:11 web01 "


def auth(line: str, make_origin: OriginFactory) -> dict[str, Any]:
    return parse_auth(HEADER + line, make_origin("auth"))


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


SSH_KEYS = (
    "event.category",
    "event.action",
    "event.outcome",
    "user.name",
    "source.ip",
    "source.port",
    "system.auth.ssh.method",
    "system.auth.ssh.event",
)


def test_common_fields_and_syslog_header(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[4242]: Accepted password for root from 10.0.0.5 port 2222 ssh2", make_origin
    )
    assert pick(fields, "event.dataset", "event.module", "host.name", "process.name") == {
        "event.dataset": "system.auth",
        "event.module": "system",
        "host.name": "web01",
        "process.name": "sshd",
    }
    assert fields["process.pid"] == 4242
    assert fields["@timestamp"] == "2024-03-05T07:02:11.000000Z"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "sshd[1]: Failed password for invalid user Nguyễn Văn An from 203.0.113.5 "
            "port 51234 ssh2",
            (
                "authentication",
                "ssh_login",
                "failure",
                "Nguyễn Văn An",
                "203.0.113.5",
                51234,
                "password",
                "Failed",
            ),
        ),
        (
            "sshd[1]: Failed password for root from 2001:db8::dead:beef port 40022 ssh2",
            (
                "authentication",
                "ssh_login",
                "failure",
                "root",
                "2001:db8::dead:beef",
                40022,
                "password",
                "Failed",
            ),
        ),
        (
            "sshd[1]: Accepted publickey for nguyenvana from 10.1.2.3 port 50022 ssh2: "
            "ED25519 SHA256:0bqR1nVxT2k",
            (
                "authentication",
                "ssh_login",
                "success",
                "nguyenvana",
                "10.1.2.3",
                50022,
                "publickey",
                "Accepted",
            ),
        ),
        (
            "sshd[1]: Accepted keyboard-interactive/pam for tranthib from 10.1.2.4 port 1 ssh2",
            (
                "authentication",
                "ssh_login",
                "success",
                "tranthib",
                "10.1.2.4",
                1,
                "keyboard-interactive/pam",
                "Accepted",
            ),
        ),
        (
            "sshd[1]: Invalid user oracle from 198.51.100.77 port 60000",
            (
                "authentication",
                "ssh_login",
                "failure",
                "oracle",
                "198.51.100.77",
                60000,
                "<absent>",
                "Invalid user",
            ),
        ),
        (
            "sshd-session[1]: Failed none for invalid user  from 198.51.100.8 port 5 ssh2",
            ("authentication", "ssh_login", "failure", "", "198.51.100.8", 5, "none", "Failed"),
        ),
    ],
)
def test_sshd_logins(message: str, expected: tuple[Any, ...], make_origin: OriginFactory) -> None:
    fields = auth(message, make_origin)
    assert tuple(pick(fields, *SSH_KEYS).values()) == expected


def test_sshd_user_name_cannot_spoof_the_source_address(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[1]: Failed password for invalid user x from 1.1.1.1 port 22 ssh2 "
        "from 203.0.113.66 port 4444 ssh2",
        make_origin,
    )
    assert fields["user.name"] == "x from 1.1.1.1 port 22 ssh2"
    assert (fields["source.ip"], fields["source.port"]) == ("203.0.113.66", 4444)


def test_sshd_signature_and_invalid_user_flag(make_origin: OriginFactory) -> None:
    accepted = auth(
        "sshd[1]: Accepted publickey for u from 10.0.0.1 port 2 ssh2: RSA SHA256:abc", make_origin
    )
    assert accepted["system.auth.ssh.signature"] == "RSA SHA256:abc"
    assert "system.auth.ssh.invalid_user" not in accepted
    failed = auth(
        "sshd[1]: Failed password for invalid user a from 10.0.0.1 port 2 ssh2", make_origin
    )
    assert failed["system.auth.ssh.invalid_user"] is True


def test_sshd_connection_closed_by_authenticating_user(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[1]: Connection closed by authenticating user root 203.0.113.5 port 38722 [preauth]",
        make_origin,
    )
    assert pick(
        fields,
        "event.action",
        "user.name",
        "source.ip",
        "source.port",
        "system.auth.ssh.event",
        "event.outcome",
    ) == {
        "event.action": "ssh_disconnect",
        "user.name": "root",
        "source.ip": "203.0.113.5",
        "source.port": 38722,
        "system.auth.ssh.event": "Connection closed by",
        "event.outcome": "<absent>",
    }


@pytest.mark.parametrize(
    ("message", "action", "address", "port"),
    [
        (
            "Received disconnect from 203.0.113.5 port 22:11: Bye Bye [preauth]",
            "ssh_disconnect",
            "203.0.113.5",
            22,
        ),
        ("Connection closed by 203.0.113.5 port 4 [preauth]", "ssh_disconnect", "203.0.113.5", 4),
        (
            "Did not receive identification string from 203.0.113.9 port 61000",
            "ssh_no_identification",
            "203.0.113.9",
            61000,
        ),
        (
            "error: maximum authentication attempts exceeded for root from 203.0.113.5 port 9 ssh2 "
            "[preauth]",
            "ssh_max_auth_attempts",
            "203.0.113.5",
            9,
        ),
    ],
)
def test_sshd_other_messages(
    message: str, action: str, address: str, port: int, make_origin: OriginFactory
) -> None:
    fields = auth("sshd[1]: " + message, make_origin)
    assert (fields["event.action"], fields["source.ip"], fields["source.port"]) == (
        action,
        address,
        port,
    )


def test_sshd_host_name_source_goes_to_domain(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[1]: Failed password for root from scanner.example port 22 ssh2", make_origin
    )
    assert fields["source.domain"] == "scanner.example"
    assert "source.ip" not in fields


def test_pam_authentication_failure(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
        "ruser= rhost=203.0.113.5  user=root",
        make_origin,
    )
    assert pick(
        fields,
        "event.category",
        "event.action",
        "event.outcome",
        "user.name",
        "source.ip",
        "system.auth.pam.service",
        "system.auth.pam.tty",
    ) == {
        "event.category": "authentication",
        "event.action": "pam_authentication",
        "event.outcome": "failure",
        "user.name": "root",
        "source.ip": "203.0.113.5",
        "system.auth.pam.service": "sshd",
        "system.auth.pam.tty": "ssh",
    }


def test_pam_session_of_sshd_belongs_to_its_user(make_origin: OriginFactory) -> None:
    fields = auth(
        "sshd[1]: pam_unix(sshd:session): session opened for user nguyenvana(uid=1000) by (uid=0)",
        make_origin,
    )
    assert pick(fields, "event.action", "user.name", "user.id", "user.effective.name") == {
        "event.action": "session_opened",
        "user.name": "nguyenvana",
        "user.id": "1000",
        "user.effective.name": "<absent>",
    }


SUDO_KEYS = (
    "event.action",
    "event.outcome",
    "user.name",
    "user.effective.name",
    "process.command_line",
    "process.working_directory",
    "system.auth.sudo.tty",
)


def test_sudo_command(make_origin: OriginFactory) -> None:
    fields = auth(
        "sudo: nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash",
        make_origin,
    )
    assert pick(fields, *SUDO_KEYS) == {
        "event.action": "sudo",
        "event.outcome": "success",
        "user.name": "nguyenvana",
        "user.effective.name": "root",
        "process.command_line": "/bin/bash",
        "process.working_directory": "/home/nguyenvana",
        "system.auth.sudo.tty": "pts/0",
    }


def test_sudo_command_may_contain_the_separator(make_origin: OriginFactory) -> None:
    fields = auth(
        "sudo:    tranthib : TTY=pts/3 ; PWD=/srv ; USER=postgres ; "
        "COMMAND=/bin/sh -c 'pg_dump dvc ; echo xong'",
        make_origin,
    )
    assert fields["process.command_line"] == "/bin/sh -c 'pg_dump dvc ; echo xong'"
    assert fields["user.effective.name"] == "postgres"


@pytest.mark.parametrize(
    ("problem", "error"),
    [
        ("3 incorrect password attempts ; ", "3 incorrect password attempts"),
        ("user NOT in sudoers ; ", "user NOT in sudoers"),
        ("command not allowed ; ", "command not allowed"),
    ],
)
def test_sudo_failures(problem: str, error: str, make_origin: OriginFactory) -> None:
    fields = auth(
        f"sudo: lehoangc : {problem}TTY=pts/1 ; PWD=/home/lehoangc ; USER=root ; COMMAND=/bin/su",
        make_origin,
    )
    assert (fields["event.outcome"], fields["system.auth.sudo.error"]) == ("failure", error)
    assert fields["user.name"] == "lehoangc"
    assert fields["process.command_line"] == "/bin/su"


def test_sudo_pam_session(make_origin: OriginFactory) -> None:
    fields = auth(
        "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by nguyenvana(uid=1000)",
        make_origin,
    )
    assert pick(fields, "event.action", "user.name", "user.effective.name") == {
        "event.action": "session_opened",
        "user.name": "nguyenvana",
        "user.effective.name": "root",
    }


SU_KEYS = ("event.action", "event.outcome", "user.name", "user.effective.name")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("su[77]: (to root) nguyenvana on pts/0", ("su", "success", "nguyenvana", "root")),
        (
            "su[77]: FAILED SU (to root) nguyenvana on pts/0",
            ("su", "failure", "nguyenvana", "root"),
        ),
        (
            "su[77]: pam_unix(su:session): session opened for user root by nguyenvana(uid=1000)",
            ("su", "success", "nguyenvana", "root"),
        ),
        (
            "su[77]: pam_unix(su-l:session): session opened for user postgres(uid=26) by "
            "tranthib(uid=1001)",
            ("su", "success", "tranthib", "postgres"),
        ),
        (
            "su[77]: pam_unix(su:auth): authentication failure; logname=nguyenvana uid=1000 "
            "euid=0 tty=/dev/pts/0 ruser=nguyenvana rhost=  user=root",
            ("su", "failure", "nguyenvana", "root"),
        ),
        (
            "su[77]: pam_unix(su:session): session closed for user root",
            ("session_closed", "<absent>", "root", "<absent>"),
        ),
    ],
)
def test_su(message: str, expected: tuple[str, ...], make_origin: OriginFactory) -> None:
    assert tuple(pick(auth(message, make_origin), *SU_KEYS).values()) == expected


ACCOUNT_KEYS = ("event.category", "event.action", "user.target.name", "group.name", "user.name")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "useradd[901]: new user: name=tranb, UID=1001, GID=1001, home=/home/tranb, "
            "shell=/bin/bash, from=/dev/pts/0",
            ("iam", "user_created", "tranb", "<absent>", "<absent>"),
        ),
        (
            "useradd[901]: new group: name=tranb, GID=1001",
            ("iam", "group_created", "<absent>", "tranb", "<absent>"),
        ),
        (
            "groupadd[902]: group added to /etc/group: name=ketoan, GID=1005",
            ("iam", "group_created", "<absent>", "ketoan", "<absent>"),
        ),
        (
            "usermod[903]: add 'tranb' to group 'sudo'",
            ("iam", "user_added_to_group", "tranb", "sudo", "<absent>"),
        ),
        (
            "usermod[903]: add 'tranb' to shadow group 'sudo'",
            ("iam", "user_added_to_group", "tranb", "sudo", "<absent>"),
        ),
        (
            "gpasswd[904]: user tranb added by root to group docker",
            ("iam", "user_added_to_group", "tranb", "docker", "root"),
        ),
        (
            "usermod[905]: change user 'tranb' shell from '/bin/sh' to '/bin/bash'",
            ("iam", "user_modified", "tranb", "<absent>", "<absent>"),
        ),
        (
            "usermod[905]: lock user 'tranb' password",
            ("iam", "user_modified", "tranb", "<absent>", "<absent>"),
        ),
        (
            "userdel[906]: delete user 'tranb'",
            ("iam", "user_deleted", "tranb", "<absent>", "<absent>"),
        ),
        (
            "groupdel[907]: group 'ketoan' removed",
            ("iam", "group_deleted", "<absent>", "ketoan", "<absent>"),
        ),
        (
            "passwd[908]: password for 'tranb' changed by 'root'",
            ("iam", "password_changed", "tranb", "<absent>", "root"),
        ),
        (
            "passwd[908]: pam_unix(passwd:chauthtok): password changed for tranb",
            ("iam", "password_changed", "tranb", "<absent>", "<absent>"),
        ),
    ],
)
def test_account_management(
    message: str, expected: tuple[str, ...], make_origin: OriginFactory
) -> None:
    assert tuple(pick(auth(message, make_origin), *ACCOUNT_KEYS).values()) == expected


def test_user_created_ids(make_origin: OriginFactory) -> None:
    fields = auth(
        "useradd[901]: new user: name=tranb, UID=1001, GID=100, home=/home/tranb, shell=/bin/sh",
        make_origin,
    )
    assert pick(fields, "user.target.id", "group.id", "event.outcome") == {
        "user.target.id": "1001",
        "group.id": "100",
        "event.outcome": "success",
    }


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "login[555]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
            ("login", "failure", "root"),
        ),
        ("login[555]: ROOT LOGIN  on '/dev/tty1'", ("login", "success", "root")),
        (
            "systemd-logind[612]: New session 31 of user nguyenvana.",
            ("session_opened", "<absent>", "nguyenvana"),
        ),
        ("systemd-logind[612]: Removed session 31.", ("session_closed", "<absent>", "<absent>")),
    ],
)
def test_login_and_logind(
    message: str, expected: tuple[str, ...], make_origin: OriginFactory
) -> None:
    fields = auth(message, make_origin)
    assert tuple(pick(fields, "event.action", "event.outcome", "user.name").values()) == expected


def test_logind_session_id(make_origin: OriginFactory) -> None:
    assert (
        auth("systemd-logind[612]: Removed session c12.", make_origin)["system.auth.session.id"]
        == "c12"
    )


def test_other_programs_keep_syslog_fields(make_origin: OriginFactory) -> None:
    fields = auth("CRON[5]: pam_unix(cron:session): session closed for user root", make_origin)
    assert (fields["event.dataset"], fields["event.action"], fields["user.name"]) == (
        "system.auth",
        "session_closed",
        "root",
    )
    plain = auth("polkitd[9]: Registered Authentication Agent", make_origin)
    assert "event.action" not in plain
    assert plain["message"] == "Registered Authentication Agent"


def test_unrecognised_sshd_message_is_kept(make_origin: OriginFactory) -> None:
    fields = auth("sshd[1]: Server listening on 0.0.0.0 port 22.", make_origin)
    assert fields["message"] == "Server listening on 0.0.0.0 port 22."
    assert "event.action" not in fields


def test_configured_dataset_overrides(make_origin: OriginFactory) -> None:
    fields = parse_auth(
        HEADER + "sshd[1]: Invalid user a from 10.0.0.1 port 2",
        make_origin("auth", dataset="linux.secure"),
    )
    assert fields["event.dataset"] == "linux.secure"


def test_not_syslog_is_rejected(make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="no syslog header"):
        parse_auth("Failed password for root from 10.0.0.1 port 22 ssh2", make_origin("auth"))
