"""References for line formats: syslog (RFC 3164/5424), auth, auditd, web access logs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote_plus

from reference_base import EPOCH, MONTHS, Doc, Reference, bsd_time, finish, priority, utc

# --- syslog ----------------------------------------------------------------------------------
BSD = re.compile(
    r"(?:<(\d+)>)?(\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (.*)", re.S
)
RFC5424 = re.compile(r"<(\d+)>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) \[(\S+) ([^\]]*)\] \ufeff?(.*)")
SD_PARAM = re.compile(r'(\S+?)="([^"]*)"')


def bsd_header(doc: Doc, match: re.Match[str]) -> str:
    pri, month, day, clock, host, tag, pid, message = match.groups()
    if pri:
        priority(doc, pri)
    doc["@timestamp"] = bsd_time(month, day, clock)
    doc["host.name"] = host
    doc["process.name"] = doc["log.syslog.appname"] = tag
    if pid:
        doc["process.pid"] = int(pid)
    doc["message"] = message
    return message


def rfc3164(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    doc: Doc = {"event.dataset": "syslog", "event.module": "syslog"}
    bsd_header(doc, BSD.match(text))  # type: ignore[arg-type]
    return finish(doc, text, source)


def rfc5424(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    pri, version, stamp, host, app, pid, msgid, sd_id, params, message = RFC5424.match(  # type: ignore[union-attr]
        text
    ).groups()
    doc: Doc = {"event.dataset": "syslog", "event.module": "syslog"}
    priority(doc, pri)
    doc["log.syslog.version"] = version
    doc["@timestamp"] = utc(datetime.fromisoformat(stamp))
    doc["host.name"] = host
    doc["process.name"] = doc["log.syslog.appname"] = app
    doc["process.pid"] = int(pid)
    doc["log.syslog.msgid"] = msgid
    prefix = "log.syslog.structured_data." + sd_id + "."
    for name, value in SD_PARAM.findall(params):
        doc[prefix + name] = value
    doc["message"] = message
    return finish(doc, text, source)


# --- auth (sshd, PAM, sudo) ------------------------------------------------------------------
SSHD_LOGIN = re.compile(
    r"(Accepted|Failed) (\w+) for (invalid user )?(.+?) from (\S+) port (\d+) ssh2(?:: (.*))?"
)
SSHD_INVALID = re.compile(r"Invalid user (.+?) from (\S+) port (\d+)")
SSHD_CLOSED = re.compile(r"Connection closed by (authenticating user) (.+?) (\S+) port (\d+)")
PAM_FAILURE = re.compile(r"(pam_\w+)\((\w+):(\w+)\): authentication failure; (.*)")
PAM_PAIR = re.compile(r"(\w+)=(\S+)")
SUDO = re.compile(r"(\S+) : TTY=(\S+) ; PWD=(\S+) ; USER=(\S+) ; COMMAND=(.*)")


def sshd(doc: Doc, message: str) -> None:
    doc["event.category"] = "authentication"
    if match := SSHD_LOGIN.match(message):
        verdict, method, invalid, user, ip, port, signature = match.groups()
        doc["event.action"] = "ssh_login"
        doc["event.outcome"] = "success" if verdict == "Accepted" else "failure"
        doc["system.auth.ssh.event"] = verdict
        doc["system.auth.ssh.method"] = method
        if signature:
            doc["system.auth.ssh.signature"] = signature
        if invalid:
            doc["system.auth.ssh.invalid_user"] = True
    elif match := SSHD_INVALID.match(message):
        user, ip, port = match.groups()
        doc["event.action"] = "ssh_login"
        doc["event.outcome"] = "failure"
        doc["system.auth.ssh.event"] = "Invalid user"
        doc["system.auth.ssh.invalid_user"] = True
    elif match := SSHD_CLOSED.match(message):
        state, user, ip, port = match.groups()
        doc["event.action"] = "ssh_disconnect"
        doc["event.type"] = "end"
        doc["system.auth.ssh.event"] = "Connection closed by"
        doc["system.auth.ssh.user_state"] = state
    else:
        pam(doc, message)
        return
    doc["user.name"] = user
    doc["source.ip"] = ip
    doc["source.port"] = int(port)


def pam(doc: Doc, message: str) -> None:
    module, service, kind, rest = PAM_FAILURE.match(message).groups()  # type: ignore[union-attr]
    doc["system.auth.pam.module"] = module
    doc["system.auth.pam.service"] = service
    doc["system.auth.pam.type"] = kind
    pairs = dict(PAM_PAIR.findall(rest))
    for name, value in pairs.items():
        doc["system.auth.pam." + name] = value
    doc["event.category"] = "authentication"
    doc["event.action"] = "pam_authentication"
    doc["event.outcome"] = "failure"
    doc["user.name"] = pairs["user"]
    doc["source.ip"] = pairs["rhost"]


def sudo(doc: Doc, message: str) -> None:
    match = SUDO.match(message)
    if match is None:  # a user name with spaces is not sudo's
        return
    user, tty, pwd, target, command = match.groups()
    doc["event.category"] = "process"
    doc["event.type"] = "start"
    doc["event.action"] = "sudo"
    doc["event.outcome"] = "success"
    doc["user.name"] = user
    doc["user.effective.name"] = target
    doc["system.auth.sudo.tty"] = tty
    doc["system.auth.sudo.pwd"] = doc["process.working_directory"] = pwd
    doc["system.auth.sudo.user"] = target
    doc["system.auth.sudo.command"] = doc["process.command_line"] = command


def auth(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    doc: Doc = {"event.dataset": "system.auth", "event.module": "system"}
    message = bsd_header(doc, BSD.match(text))  # type: ignore[arg-type]
    (sudo if doc["process.name"] == "sudo" else sshd)(doc, message)
    return finish(doc, text, source)


# --- auditd ----------------------------------------------------------------------------------
AUDIT = re.compile(r"type=(\w+) msg=audit\((\d+)\.(\d+):(\d+)\): (.*)")
AUDIT_PAIR = re.compile(r"(\w+)=(?:\"([^\"]*)\"|'([^']*)'|(\S+))")
AUDIT_HEX = re.compile(r"(?:[0-9A-F]{2})+")


def audit_pairs(doc: Doc, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, quoted, inner, bare in AUDIT_PAIR.findall(text):
        if inner:
            values.update(audit_pairs(doc, inner))
            continue
        if bare and name[0] == "a" and name[1:].isdigit() and AUDIT_HEX.fullmatch(bare):
            bare = bytes.fromhex(bare).decode()
        values[name] = doc["hanoi.auditd." + name] = quoted or bare
    return values


def auditd(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    kind, seconds, millis, sequence, rest = AUDIT.match(text).groups()  # type: ignore[union-attr]
    doc: Doc = {"event.dataset": "auditd.log", "event.module": "auditd"}
    doc["event.action"] = kind.lower()
    doc["@timestamp"] = utc(EPOCH + timedelta(seconds=int(seconds), milliseconds=int(millis)))
    doc["hanoi.auditd.record_type"] = kind
    doc["hanoi.auditd.sequence"] = int(sequence)
    values = audit_pairs(doc, rest)
    if kind == "EXECVE":
        args = [values[f"a{i}"] for i in range(int(values["argc"]))]
        doc["process.args"] = args
        doc["process.args_count"] = len(args)
        doc["process.command_line"] = " ".join(args)
        doc["event.category"] = "process"
        doc["event.type"] = "start"
        return finish(doc, text, source)
    doc["user.id"] = values["uid"]
    if kind == "SYSCALL":
        doc["user.audit.id"] = values["auid"]
        doc["user.effective.id"] = values["euid"]
        doc["group.id"] = values["gid"]
    else:
        doc["user.name"] = values["acct"]
    doc["process.pid"] = int(values["pid"])
    if "ppid" in values:
        doc["process.parent.pid"] = int(values["ppid"])
    doc["process.executable"] = values["exe"]
    doc["process.name"] = values["exe"].rpartition("/")[2]
    if kind == "SYSCALL":
        doc["event.category"] = "process"
        doc["event.type"] = "start"
        doc["hanoi.auditd.syscall_name"] = "execve"
        doc["event.outcome"] = "success" if values["success"] == "yes" else "failure"
    else:
        doc["event.category"] = "authentication"
        doc["event.type"] = "start"
        doc["event.outcome"] = "success" if values["res"] == "success" else "failure"
        doc["source.ip"] = values["addr"]
    return finish(doc, text, source)


# --- web access logs -------------------------------------------------------------------------
ACCESS = re.compile(
    r"(\S+) - (\S+) \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d\d)(\d\d)\] "
    r'"(\w+) ([^" ]*) HTTP/([\d.]+)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"(.*)'
)
EXTRA_PAIR = re.compile(r"(\w+)=(\S*)")


def access(dataset: str) -> Reference:
    module = dataset.partition(".")[0]

    def parse(raw: bytes, source: str) -> bytes:
        text = raw.decode()
        (ip, user, day, month, year, hour, minute, second, zone_hours, zone_minutes, method,
         target, version, status, size, referrer, agent, extra) = ACCESS.match(text).groups()  # type: ignore[union-attr]  # fmt: skip
        zone = timezone(timedelta(hours=int(zone_hours), minutes=int(zone_minutes)))
        moment = datetime(
            int(year), MONTHS[month], int(day), int(hour), int(minute), int(second), 0, zone
        )
        code = int(status)
        doc: Doc = {"event.dataset": dataset, "event.module": module, "event.category": "web"}
        doc["@timestamp"] = utc(moment)
        doc["source.ip"] = ip
        doc["http.request.method"] = method
        doc["url.original"] = target
        path, mark, query = target.partition("?")
        doc["url.path"] = path
        if mark:
            doc["url.query"] = unquote_plus(query)
        doc["http.version"] = version
        doc["http.response.status_code"] = code
        doc["event.outcome"] = "failure" if code >= 400 else "success"
        doc["http.response.body.bytes"] = int(size)
        doc["http.request.referrer"] = referrer
        doc["user_agent.original"] = agent
        if extra := extra.strip():
            doc[dataset + ".extra"] = extra
            for name, value in EXTRA_PAIR.findall(extra):
                doc[dataset + "." + name] = value
        doc["event.type"] = "access"
        return finish(doc, text, source)

    return parse
