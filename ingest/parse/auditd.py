"""Linux audit records (``/var/log/audit/audit.log``, or audispd/audisp-syslog over syslog).

``type=EXECVE msg=audit(1709622131.123:4567): argc=3 a0="ls" a1="-la" a2=2F746D702F612062``

auditd writes a value that holds a space, quote or control character as unquoted upper-case
hex; such values are decoded for the fields that can carry text. ``USER_*`` records nest a
second list of pairs in ``msg='...'``; those become ``auditd.log.<key>`` too. With
``log_format=ENRICHED`` the resolved names follow a 0x1D separator in upper-case keys.
"""

from __future__ import annotations

import re

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import PLACEHOLDERS, integer, put_address, put_int, put_text
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import from_micros

DATASET = "auditd.log"
_HEADER = re.compile(
    r"(?:node=(\S+) )?type=(\w+) msg=audit\((\d{1,12})(?:\.(\d{1,9}))?:(\d{1,19})\):? ?(.*)\Z",
    re.S,
)
# An unclosed quote takes the rest of the record: the match never fails, so never rescans.
# The look-behind keeps a long run of key characters from being rescanned at every position.
PAIR = re.compile(r"""(?<![\w\[\]-])([A-Za-z][\w-]*(?:\[\d+\])?)=(?:"([^"]*)"?|'([^']*)'?|(\S*))""")
_HEX = re.compile(r"(?:[0-9A-F]{2})+")
_ARG = re.compile(r"a(\d+)(?:\[(\d+)\])?")
_ENCODED = frozenset(
    ("proctitle", "cmd", "acct", "comm", "exe", "cwd", "name", "path", "data", "key", "old", "new")
)
_ECS_INT = {"pid": "process.pid", "ppid": "process.parent.pid"}
_ECS_TEXT = {
    "exe": "process.executable",
    "comm": "process.name",
    "cwd": "process.working_directory",
    "uid": "user.id",
    "auid": "user.audit.id",
    "euid": "user.effective.id",
    "gid": "group.id",
    "UID": "user.name",
    "AUID": "user.audit.name",
    "EUID": "user.effective.name",
}
_OUTCOMES = {"yes": "success", "no": "failure", "success": "success", "failed": "failure"}
_ACCOUNT_RECORDS = frozenset(
    ("ADD_USER", "DEL_USER", "USER_MGMT", "ADD_GROUP", "DEL_GROUP", "GRP_MGMT", "USER_CHAUTHTOK")
)
_CATEGORIES = {
    "USER_LOGIN": "authentication",
    "USER_AUTH": "authentication",
    "USER_ERR": "authentication",
    "SYSCALL": "process",
    "EXECVE": "process",
}
# auditd's "no such id", and the placeholders every parser skips (see ecs.put_text).
_SKIPPED = frozenset(("4294967295", "unset")) | PLACEHOLDERS


def _decode(key: str, value: str) -> str:
    """Decode an unquoted hex value of a text-carrying field."""
    if not _HEX.fullmatch(value):
        return value
    text = bytes.fromhex(value).decode("utf-8", "replace")
    if key == "proctitle":
        return text.rstrip("\x00").replace("\x00", " ")
    if key == "key":
        return text.replace("\x01", ",")
    return text.rstrip("\x00")


def _pairs(text: str, record_type: str, values: dict[str, str], fields: Fields) -> None:
    """Each pair into ``values`` (by its key, for :func:`_ecs`) and into ``fields`` (as
    ``auditd.log.<key>``) in one pass."""
    execve = record_type == "EXECVE"
    for key, double, single, bare in PAIR.findall(text):
        if single and key == "msg":
            _pairs(single, record_type, values, fields)  # USER_* records: the nested list
            continue
        if double or single:
            value = double or single
        elif bare and (key in _ENCODED or (execve and key[0] == "a")):
            value = _decode(key, bare)
        else:
            value = bare
        values[key] = fields["auditd.log." + key] = value


def _command_line(values: dict[str, str]) -> str | None:
    """EXECVE arguments in order; long ones arrive in chunks ``a1[0]``, ``a1[1]``..."""
    arguments: dict[int, list[str]] = {}
    for key, value in values.items():
        if key[0] == "a" and (match := _ARG.fullmatch(key)):
            arguments.setdefault(int(match.group(1)), []).append(value)
    if not arguments:
        return None
    return " ".join("".join(arguments[index]) for index in sorted(arguments))


def _ecs(fields: Fields, values: dict[str, str], record_type: str) -> None:
    for key, target in _ECS_INT.items():
        value = values.get(key)
        if value is not None and (number := integer(value)) is not None:
            fields[target] = number
    for key, target in _ECS_TEXT.items():
        value = values.get(key)
        if value is not None and value not in _SKIPPED:
            fields[target] = value
    outcome = _OUTCOMES.get(values.get("success") or values.get("res") or "")
    if outcome:
        fields["event.outcome"] = outcome
    account = values.get("acct")
    if record_type in _ACCOUNT_RECORDS:
        put_text(fields, "user.target.name", account)
        put_text(fields, "user.target.id", values.get("id"))
    else:
        put_text(fields, "user.name", account)
    put_address(fields, "source", values.get("addr"))
    if record_type == "EXECVE":
        put_text(fields, "process.command_line", _command_line(values))
        put_int(fields, "process.args_count", values.get("argc"))


def enrich_auditd(fields: Fields, record: str, origin: Origin) -> Fields | None:
    """Add the fields of the audit record ``record``; None if it is not one."""
    header = _HEADER.match(record)
    if header is None:
        return None
    node, record_type, seconds, fraction, sequence, body = header.groups()
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "auditd"
    fields["event.action"] = record_type.lower()
    category = _CATEGORIES.get(record_type, "iam" if record_type in _ACCOUNT_RECORDS else None)
    if category:
        fields["event.category"] = category
    micros = int(seconds) * 1_000_000 + int(((fraction or "") + "000000")[:6])
    when = from_micros(micros)
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
    fields["auditd.log.record_type"] = record_type
    put_int(fields, "auditd.log.sequence", sequence)
    if node:
        fields["auditd.log.node"] = node
    plain, _, enriched = body.partition("\x1d")
    values: dict[str, str] = {}
    _pairs(plain, record_type, values, fields)
    if enriched:
        _pairs(enriched, record_type, values, fields)
    _ecs(fields, values, record_type)
    return fields


def parse_auditd(text: str, origin: Origin) -> Fields:
    fields: Fields = {}
    if enrich_auditd(fields, text, origin) is not None:
        return fields
    wrapped = match_syslog(text, origin)
    if wrapped is not None and enrich_auditd(wrapped, wrapped["message"], origin) is not None:
        return wrapped
    raise ParseError("not an auditd record: expected 'type=... msg=audit(...):'")
