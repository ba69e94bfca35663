"""ECS fields of one audit event: the records that share ``msg=audit(<time>:<serial>)``.

The kernel writes one syscall as several records: SYSCALL (who: exe, pid, ppid, uids), EXECVE
(the arguments), PROCTITLE (the command line as one NUL-separated hex string), CWD, one PATH per
file name the call touched (``nametype=CREATE``/``DELETE``/``NORMAL``...), SOCKADDR (the
address of a connect/bind), and EOE. :func:`event_fields` maps any subset of them (one record
alone, or a whole joined event) to the same ECS fields, so a record that arrives alone and the
event it belongs to are described the same way.

``saddr`` is the raw ``struct sockaddr`` in hex: the family in host byte order (x86-64 and
ARM64, the servers we collect, are little-endian), then the port and the address in network
order.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ingest.parse.base import Fields
from ingest.parse.ecs import PLACEHOLDERS, integer, put_address, put_text

Record = tuple[str, dict[str, str]]  # (record type, its key=value pairs, decoded)

_ARG = re.compile(r"a(\d+)(?:\[(\d+)\])?")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
# auditd's "no such id", and the placeholders every parser skips (see ecs.put_text).
SKIPPED = frozenset(("4294967295", "unset")) | PLACEHOLDERS
_OUTCOMES = {"yes": "success", "no": "failure", "success": "success", "failed": "failure"}
_USERS = {
    "uid": "user.id",
    "auid": "user.audit.id",
    "euid": "user.effective.id",
    "gid": "group.id",
    "UID": "user.name",
    "AUID": "user.audit.name",
    "EUID": "user.effective.name",
}
_ACCOUNT_RECORDS = frozenset(
    ("ADD_USER", "DEL_USER", "USER_MGMT", "ADD_GROUP", "DEL_GROUP", "GRP_MGMT", "USER_CHAUTHTOK")
)
_RECORD_CATEGORIES = {
    "USER_LOGIN": "authentication",
    "USER_AUTH": "authentication",
    "USER_ERR": "authentication",
}
# Syscall numbers of the two architectures a city server runs (``arch=`` on SYSCALL); with
# ``log_format=ENRICHED`` auditd adds the name itself (``SYSCALL=openat``).
_SYSCALLS = {
    "c000003e": {  # x86_64
        "2": "open", "42": "connect", "49": "bind", "59": "execve", "82": "rename",
        "83": "mkdir", "84": "rmdir", "85": "creat", "86": "link", "87": "unlink",
        "88": "symlink", "90": "chmod", "92": "chown", "257": "openat", "258": "mkdirat",
        "263": "unlinkat", "264": "renameat", "268": "fchmodat", "316": "renameat2",
        "322": "execveat",
    },
    "c00000b7": {  # aarch64
        "35": "unlinkat", "34": "mkdirat", "38": "renameat", "53": "fchmodat", "56": "openat",
        "200": "bind", "203": "connect", "221": "execve", "276": "renameat2", "281": "execveat",
    },
}  # fmt: skip
# syscall -> (event.category, event.type); a file call's type is refined by its PATH records.
_KINDS = {
    "execve": ("process", "start"),
    "execveat": ("process", "start"),
    "connect": ("network", "connection"),
    "bind": ("network", "connection"),
    **dict.fromkeys(("open", "openat", "creat", "mkdir", "mkdirat"), ("file", "change")),
    **dict.fromkeys(("unlink", "unlinkat", "rmdir"), ("file", "deletion")),
    **dict.fromkeys(("rename", "renameat", "renameat2", "link", "symlink"), ("file", "change")),
    **dict.fromkeys(("chmod", "fchmodat", "chown"), ("file", "change")),
}
_NAMETYPE_TYPES = {"CREATE": "creation", "DELETE": "deletion"}


def unhex(key: str, value: str) -> str:
    """A value auditd wrote as hex (it held a space, quote or non-ASCII byte), as text."""
    if not _HEX.fullmatch(value):
        return value
    text = bytes.fromhex(value).decode("utf-8", "replace")
    if key == "proctitle":  # argv with its NUL separators
        return text.rstrip("\x00").replace("\x00", " ")
    if key == "key":
        return text.replace("\x01", ",")
    return text.rstrip("\x00")


def syscall_name(values: dict[str, str]) -> str | None:
    named = values.get("SYSCALL")
    if named:
        return named
    number = values.get("syscall", "")
    return _SYSCALLS.get(values.get("arch", ""), {}).get(number)


def arguments(values: dict[str, str]) -> list[str]:
    """EXECVE arguments in order; long ones arrive in chunks ``a1[0]``, ``a1[1]``..."""
    pieces: dict[int, list[tuple[int, str]]] = {}
    for key, value in values.items():
        if key[0] == "a" and (match := _ARG.fullmatch(key)):
            chunk = int(match.group(2)) if match.group(2) is not None else -1
            pieces.setdefault(int(match.group(1)), []).append((chunk, value))
    return ["".join(v for _, v in sorted(pieces[index])) for index in sorted(pieces)]


def sockaddr(saddr: str) -> tuple[str, int] | None:
    """(ip, port) of an IPv4 or IPv6 ``struct sockaddr`` in hex; None for other families."""
    if not _HEX.fullmatch(saddr):
        return None
    raw = bytes.fromhex(saddr)
    family = int.from_bytes(raw[:2], "little")
    port = int.from_bytes(raw[2:4], "big")
    if family == 2 and len(raw) >= 8:
        return str(ipaddress.IPv4Address(raw[4:8])), port
    if family == 10 and len(raw) >= 24:
        address = ipaddress.IPv6Address(raw[8:24])
        mapped = address.ipv4_mapped
        return str(mapped or address), port
    return None


def _first(records: list[Record], record_type: str) -> dict[str, str] | None:
    return next((values for kind, values in records if kind == record_type), None)


def _process(fields: Fields, records: list[Record], syscall: dict[str, str]) -> None:
    for key, target in (("pid", "process.pid"), ("ppid", "process.parent.pid")):
        if (number := integer(syscall.get(key))) is not None:
            fields[target] = number
    exe = syscall.get("exe")
    if exe and exe not in SKIPPED:
        fields["process.executable"] = exe
        fields["process.name"] = posixpath.basename(exe)
    elif (comm := syscall.get("comm")) and comm not in SKIPPED:
        fields["process.name"] = comm
    execve = _first(records, "EXECVE")
    if execve is not None and (args := arguments(execve)):
        fields["process.args"] = args
        fields["process.args_count"] = integer(execve.get("argc")) or len(args)
        fields["process.command_line"] = " ".join(args)
    proctitle = _first(records, "PROCTITLE")
    if proctitle is not None and (title := proctitle.get("proctitle")):
        fields["process.title"] = title
        fields.setdefault("process.command_line", title)
    cwd = _first(records, "CWD")
    if cwd is not None:
        put_text(fields, "process.working_directory", cwd.get("cwd"))
    elif "cwd" in syscall:  # USER_* and older records carry cwd= inline
        put_text(fields, "process.working_directory", syscall["cwd"])


def _file(fields: Fields, records: list[Record]) -> str | None:
    """The file the call acted on: a created or deleted name first, else the first one."""
    paths = [values for kind, values in records if kind == "PATH" and values.get("name")]
    if not paths:
        return None
    chosen = next((p for p in paths if p.get("nametype") in _NAMETYPE_TYPES), paths[0])
    name = chosen["name"]
    cwd = fields.get("process.working_directory")
    if not name.startswith("/") and isinstance(cwd, str) and cwd.startswith("/"):
        name = posixpath.normpath(posixpath.join(cwd, name))
    fields["file.path"] = name
    fields["file.name"] = posixpath.basename(name)
    put_text(fields, "file.inode", chosen.get("inode"))
    return _NAMETYPE_TYPES.get(chosen.get("nametype", ""))


def _network(fields: Fields, records: list[Record]) -> None:
    values = _first(records, "SOCKADDR")
    if values is None or (address := sockaddr(values.get("saddr", ""))) is None:
        return
    fields["destination.ip"], fields["destination.port"] = address
    fields["network.type"] = "ipv6" if ":" in address[0] else "ipv4"
    fields["network.direction"] = "egress"


# open(2)'s flags are its second argument, openat(2)'s its third (SYSCALL a1, a2, in hex).
_OPEN_FLAGS = {"open": "a1", "openat": "a2"}
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000  # O_WRONLY | O_RDWR | O_CREAT | O_TRUNC


def _read_only(name: str | None, syscall: dict[str, str]) -> bool:
    """An open for reading only (a watch with -p r, or a syscall rule on open)."""
    register = _OPEN_FLAGS.get(name or "")
    flags = syscall.get(register or "", "")
    try:
        return bool(register) and not int(flags, 16) & _WRITE_FLAGS
    except ValueError:
        return False


def _kind(fields: Fields, records: list[Record], syscall: dict[str, str]) -> None:
    name = syscall_name(syscall)
    category, event_type = _KINDS.get(name or "", (None, None))
    if _read_only(name, syscall):
        event_type = "access"
    file_type = _file(fields, records)
    if category is None:
        if _first(records, "EXECVE") is not None:
            category, event_type = "process", "start"
        elif file_type:
            category = "file"
    if category == "file" and file_type:
        event_type = file_type
    if category:
        fields["event.category"] = category
    if event_type:
        fields["event.type"] = event_type
    if name:
        fields["hanoi.auditd.syscall_name"] = name


def _users(fields: Fields, values: dict[str, str], record_type: str) -> None:
    for key, target in _USERS.items():
        value = values.get(key)
        if value is not None and value not in SKIPPED:
            fields[target] = value
    account = values.get("acct")
    if record_type in _ACCOUNT_RECORDS:
        put_text(fields, "user.target.name", account)
        put_text(fields, "user.target.id", values.get("id"))
    else:
        put_text(fields, "user.name", account)


def event_fields(fields: Fields, records: list[Record]) -> None:
    """Add the ECS fields of the audit event made of ``records`` (at least one)."""
    kinds = [kind for kind, _ in records]
    main_type = "SYSCALL" if "SYSCALL" in kinds else kinds[0]
    main = _first(records, main_type) or {}
    _users(fields, main, main_type)
    _process(fields, records, main)
    if main_type in _ACCOUNT_RECORDS:
        fields["event.category"] = "iam"
    elif main_type in _RECORD_CATEGORIES:
        fields["event.category"] = _RECORD_CATEGORIES[main_type]
    else:
        _kind(fields, records, main)
    _network(fields, records)
    if syscall_name(main) == "connect":
        # Sigma's Initiated: 'true'; ECS has no boolean for it.
        fields["hanoi.auditd.initiated"] = "true"
    outcome = _OUTCOMES.get(main.get("success") or main.get("res") or "")
    if outcome:
        fields["event.outcome"] = outcome
    put_address(fields, "source", main.get("addr"))
