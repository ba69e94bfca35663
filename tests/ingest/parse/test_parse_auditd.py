"""The auditd parser: SYSCALL, EXECVE, PROCTITLE, USER_LOGIN, ADD_USER records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.auditd import parse_auditd
from ingest.parse.base import Origin

OriginFactory = Callable[..., Origin]


def audit(line: str, make_origin: OriginFactory) -> dict[str, Any]:
    return parse_auditd(line, make_origin("auditd"))


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


SYSCALL = (
    "type=SYSCALL msg=audit(1709622131.482:8841): arch=c000003e syscall=59 success=yes exit=0 "
    "a0=55d5c1b2a0 a1=55d5c1b2b0 a2=55d5c1b2c0 a3=0 items=2 ppid=2301 pid=2388 auid=1000 uid=0 "
    'gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="bash" '
    'exe="/usr/bin/bash" subj=unconfined key="exec"'
)


def test_syscall(make_origin: OriginFactory) -> None:
    fields = audit(SYSCALL, make_origin)
    assert pick(
        fields,
        "event.dataset",
        "event.module",
        "event.action",
        "event.category",
        "@timestamp",
        "auditd.log.record_type",
        "auditd.log.sequence",
        "process.executable",
        "process.name",
        "process.pid",
        "process.parent.pid",
        "user.id",
        "user.audit.id",
        "auditd.log.key",
        "event.outcome",
    ) == {
        "event.dataset": "auditd.log",
        "event.module": "auditd",
        "event.action": "syscall",
        "event.category": "process",
        "@timestamp": "2024-03-05T07:02:11.482000Z",
        "auditd.log.record_type": "SYSCALL",
        "auditd.log.sequence": 8841,
        "process.executable": "/usr/bin/bash",
        "process.name": "bash",
        "process.pid": 2388,
        "process.parent.pid": 2301,
        "user.id": "0",
        "user.audit.id": "1000",
        "auditd.log.key": "exec",
        "event.outcome": "success",
    }
    # Register arguments of SYSCALL are numbers, not hex-encoded text.
    assert fields["auditd.log.a0"] == "55d5c1b2a0"
    assert fields["auditd.log.subj"] == "unconfined"


def test_execve_hex_arguments_become_the_command_line(make_origin: OriginFactory) -> None:
    # a2 is "/tmp/thư mục" (UTF-8, with a space), which auditd writes as hex.
    line = (
        'type=EXECVE msg=audit(1709622131.482:8842): argc=4 a0="ls" a1="-la" '
        'a2=2F746D702F7468C6B0206DE1BBA563 a3="--color"'
    )
    fields = audit(line, make_origin)
    assert pick(fields, "auditd.log.a2", "process.command_line", "process.args_count") == {
        "auditd.log.a2": "/tmp/thư mục",
        "process.command_line": "ls -la /tmp/thư mục --color",
        "process.args_count": 4,
    }


def test_execve_long_argument_in_chunks(make_origin: OriginFactory) -> None:
    line = (
        'type=EXECVE msg=audit(1709622131.482:8843): argc=2 a0="echo" a1_len=6 '
        "a1[0]=616263 a1[1]=646566"
    )
    assert audit(line, make_origin)["process.command_line"] == "echo abcdef"


def test_proctitle_nul_separated(make_origin: OriginFactory) -> None:
    line = (
        "type=PROCTITLE msg=audit(1709622131.482:8844): "
        "proctitle=2F62696E2F62617368002D63006375726C20687474703A2F2F782F612E7368"
    )
    assert audit(line, make_origin)["auditd.log.proctitle"] == "/bin/bash -c curl http://x/a.sh"


def test_user_login_nested_message(make_origin: OriginFactory) -> None:
    line = (
        "type=USER_LOGIN msg=audit(1709622131.482:8845): pid=4120 uid=0 auid=4294967295 "
        "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login "
        'acct="nguyenvana" exe="/usr/sbin/sshd" hostname=? addr=2001:db8::42 terminal=sshd '
        "res=failed'"
    )
    fields = audit(line, make_origin)
    assert pick(
        fields,
        "event.category",
        "event.outcome",
        "user.name",
        "source.ip",
        "user.audit.id",
        "auditd.log.op",
        "auditd.log.terminal",
        "auditd.log.hostname",
    ) == {
        "event.category": "authentication",
        "event.outcome": "failure",
        "user.name": "nguyenvana",
        "source.ip": "2001:db8::42",
        "user.audit.id": "<absent>",  # 4294967295 means "not set"
        "auditd.log.op": "login",
        "auditd.log.terminal": "sshd",
        "auditd.log.hostname": "?",
    }


def test_add_user_targets_the_new_account(make_origin: OriginFactory) -> None:
    line = (
        "type=ADD_USER msg=audit(1709622131.482:8846): pid=5001 uid=0 auid=1000 ses=3 "
        'subj=unconfined msg=\'op=add-user id=1002 exe="/usr/sbin/useradd" hostname=web01 '
        "addr=? terminal=pts/0 res=success'"
    )
    fields = audit(line, make_origin)
    assert pick(fields, "event.category", "user.target.id", "user.audit.id", "event.outcome") == {
        "event.category": "iam",
        "user.target.id": "1002",
        "user.audit.id": "1000",
        "event.outcome": "success",
    }


def test_hex_encoded_account_name(make_origin: OriginFactory) -> None:
    line = (
        "type=USER_AUTH msg=audit(1709622131.482:8847): pid=1 uid=0 auid=1000 ses=1 "
        'msg=\'op=PAM:authentication acct=4E677579E1BB856E2056C4836E exe="/usr/bin/su" '
        "res=failed'"
    )
    assert audit(line, make_origin)["user.name"] == "Nguyễn Văn"


def test_enriched_format_and_node(make_origin: OriginFactory) -> None:
    line = "node=web01 " + SYSCALL + '\x1dARCH=x86_64 SYSCALL=execve AUID="nguyenvana" UID="root"'
    fields = audit(line, make_origin)
    assert pick(
        fields, "auditd.log.node", "user.name", "user.audit.name", "auditd.log.SYSCALL"
    ) == {
        "auditd.log.node": "web01",
        "user.name": "root",
        "user.audit.name": "nguyenvana",
        "auditd.log.SYSCALL": "execve",
    }


def test_over_syslog_from_audisp(make_origin: OriginFactory) -> None:
    fields = audit("Mar  5 14:02:11 web01 audispd: " + SYSCALL, make_origin)
    assert (fields["host.name"], fields["event.dataset"], fields["process.name"]) == (
        "web01",
        "auditd.log",
        "bash",  # the audited process, not the syslog tag
    )


def test_unclosed_quote_takes_the_rest(make_origin: OriginFactory) -> None:
    fields = audit('type=SYSCALL msg=audit(1.000:1): comm="ba sh exe=/x', make_origin)
    assert fields["auditd.log.comm"] == "ba sh exe=/x"


def test_not_auditd(make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="not an auditd record"):
        audit("type=SYSCALL arch=c000003e", make_origin)
