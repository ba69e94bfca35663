"""Linux servers' auth log and audit records, sent through their host's syslog forwarding."""

from __future__ import annotations

import random
from datetime import datetime

from canhgac.demo.catalog import ADMIN_UIDS, LinuxHost, pid
from canhgac.demo.formats import (
    FACILITY_AUTHPRIV,
    FACILITY_USER,
    SEVERITY_INFO,
    SEVERITY_NOTICE,
    audit_hex,
    audit_record,
)
from canhgac.demo.model import LogLine


def sshd(
    host: LinuxHost,
    now: datetime,
    rng: random.Random,
    message: str,
    *,
    severity: int = SEVERITY_INFO,
    attack: str | None = None,
) -> LogLine:
    return host.syslog(now, "sshd", pid(rng), message, FACILITY_AUTHPRIV, severity, attack)


def accepted(user: str, method: str, source: str, port: int, key: str | None = None) -> str:
    """``Accepted publickey for quantri from 10.20.0.5 port 52344 ssh2: ED25519 SHA256:...``"""
    suffix = f": {key}" if key else ""
    return f"Accepted {method} for {user} from {source} port {port} ssh2{suffix}"


def pam_session(
    host: LinuxHost,
    now: datetime,
    rng: random.Random,
    tag: str,
    service: str,
    user: str,
    facility: int = FACILITY_AUTHPRIV,
    attack: str | None = None,
) -> LogLine:
    """pam_unix's "session opened" line, in the form the host's Linux-PAM writes."""
    if host.old_pam:  # no uid after the user, and the service (crond, sshd) as the tag
        body = f"session opened for user {user} by (uid=0)"
        return host.syslog(
            now, f"{service}(pam_unix)", pid(rng), body, facility, SEVERITY_INFO, attack
        )
    uid = 0 if user == "root" else ADMIN_UIDS.get(user, 1000)
    body = f"pam_unix({service}:session): session opened for user {user}(uid={uid}) by (uid=0)"
    return host.syslog(now, tag, pid(rng), body, facility, SEVERITY_INFO, attack)


def su_failure(
    host: LinuxHost, now: datetime, rng: random.Random, user: str, uid: int, attack: str | None
) -> LogLine:
    """pam_unix's record of a wrong password given to ``su -`` (the only one on RHEL)."""
    details = f"logname={user} uid={uid} euid=0 tty=pts/1 ruser={user} rhost=  user=root"
    if host.old_pam:
        tag, message = "su(pam_unix)", f"authentication failure; {details}"
    else:
        tag, message = "su", f"pam_unix(su:auth): authentication failure; {details}"
    return host.syslog(now, tag, pid(rng), message, FACILITY_AUTHPRIV, SEVERITY_NOTICE, attack)


def sudo(
    host: LinuxHost, now: datetime, user: str, command: str, tty: str, attack: str | None = None
) -> LogLine:
    """sudo's log line; sudo logs without a pid and with two spaces before the user."""
    message = f" {user} : TTY={tty} ; PWD=/home/{user} ; USER=root ; COMMAND={command}"
    return host.syslog(now, "sudo", None, message, FACILITY_AUTHPRIV, SEVERITY_NOTICE, attack)


def account(
    host: LinuxHost, now: datetime, proc: int, program: str, message: str, attack: str | None = None
) -> LogLine:
    """useradd/groupadd/usermod lines (shadow-utils logs them to authpriv)."""
    return host.syslog(now, program, proc, message, FACILITY_AUTHPRIV, SEVERITY_INFO, attack)


def audit(
    host: LinuxHost,
    now: datetime,
    serial: int,
    record_type: str,
    body: str,
    attack: str | None = None,
) -> LogLine:
    """An audit record forwarded by the audisp-syslog plugin."""
    text = audit_record(now, serial, record_type, body)
    return host.syslog(now, "audisp-syslog", None, text, FACILITY_USER, SEVERITY_INFO, attack)


def audit_syscall(
    rng: random.Random,
    *,
    exe: str,
    comm: str,
    uid: int,
    auid: int | None,
    key: str = "exec",
    tty: str = "(none)",
) -> str:
    """The SYSCALL record of an execve (syscall 59 on x86_64)."""
    unset = 4294967295
    ids = " ".join(f"{name}={uid}" for name in ("uid", "gid", "euid", "suid", "fsuid", "egid"))
    session = unset if auid is None else rng.randint(1, 40)
    return (
        f"arch=c000003e syscall=59 success=yes exit=0 a0={rng.getrandbits(44):x} "
        f"a1={rng.getrandbits(44):x} a2={rng.getrandbits(44):x} a3=0 items=2 "
        f"ppid={pid(rng)} pid={pid(rng)} auid={unset if auid is None else auid} {ids} "
        f'sgid={uid} fsgid={uid} tty={tty} ses={session} comm="{comm}" exe="{exe}" '
        f'subj=unconfined key="{key}"'
    )


def audit_execve(*arguments: str) -> str:
    """The EXECVE record: ``argc=N a0="..." a1="..."`` (values with a space go hex)."""
    parts = [f"argc={len(arguments)}"]
    for index, argument in enumerate(arguments):
        if any(ch in argument for ch in ' "') or not argument.isascii():
            parts.append(f"a{index}={audit_hex(argument)}")
        else:
            parts.append(f'a{index}="{argument}"')
    return " ".join(parts)
