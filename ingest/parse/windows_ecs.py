"""ECS fields of Windows events: categorization per event id, and the EventData values
every tool looks for under their ECS names (addresses, processes, files, registry, DNS).

The categorization follows Elastic's own Windows integrations (the ``system``/``windows``
packages' Security, System and Sysmon pipelines): the same ``event.category``,
``event.type`` and ``event.action`` for the same event id, so Kibana's and Elastic's content
reads our events as it reads theirs. ``event.outcome`` comes from the audit keywords of
Security events (Audit Success/Failure), else from the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ingest.parse.base import Fields
from ingest.parse.ecs import is_ip, put_address, put_text, transport

EVENT_DATA = "winlog.event_data."


class Categorization(NamedTuple):
    category: list[str]
    type: list[str]
    action: str
    outcome: str = "success"


_SECURITY = "security"
_SYSTEM = "system"
_SYSMON = "microsoft-windows-sysmon/operational"
_SYSMON_LINUX = "linux-sysmon/operational"
_USER_CHANGE = (["iam"], ["user", "change"])
_GROUP_CHANGE = (["iam"], ["group", "change"])
# (lower-case channel, event id) -> categorization.
CATEGORIZATION: dict[tuple[str, str], Categorization] = {
    (_SECURITY, "4624"): Categorization(["authentication"], ["start"], "logged-in"),
    (_SECURITY, "4625"): Categorization(["authentication"], ["start"], "logon-failed", "failure"),
    (_SECURITY, "4634"): Categorization(["authentication"], ["end"], "logged-out"),
    (_SECURITY, "4672"): Categorization(["iam"], ["admin"], "logged-in-special"),
    (_SECURITY, "4688"): Categorization(["process"], ["start"], "created-process"),
    (_SECURITY, "4720"): Categorization(["iam"], ["user", "creation"], "added-user-account"),
    (_SECURITY, "4722"): Categorization(*_USER_CHANGE, "enabled-user-account"),
    (_SECURITY, "4724"): Categorization(*_USER_CHANGE, "reset-password"),
    (_SECURITY, "4728"): Categorization(*_GROUP_CHANGE, "added-member-to-group"),
    (_SECURITY, "4732"): Categorization(*_GROUP_CHANGE, "added-member-to-group"),
    (_SECURITY, "4756"): Categorization(*_GROUP_CHANGE, "added-member-to-group"),
    (_SECURITY, "1102"): Categorization(["iam"], ["admin", "change"], "audit-log-cleared"),
    (_SYSTEM, "7045"): Categorization(
        ["iam", "configuration"], ["admin", "change"], "service-installed"
    ),
    (_SYSMON, "1"): Categorization(["process"], ["start"], "Process Create"),
    (_SYSMON, "3"): Categorization(
        ["network"], ["connection", "start", "protocol"], "Network connection detected"
    ),
    (_SYSMON, "11"): Categorization(["file"], ["creation"], "File created"),
    (_SYSMON, "13"): Categorization(
        ["configuration", "registry"], ["change"], "Registry value set"
    ),
    (_SYSMON, "22"): Categorization(["network"], ["connection", "protocol", "info"], "Dns query"),
    # Sysmon for Linux (ingest/parse/sysmon_linux.py): the same ids for the same events.
    (_SYSMON_LINUX, "1"): Categorization(["process"], ["start"], "Process Create"),
    (_SYSMON_LINUX, "3"): Categorization(
        ["network"], ["connection", "start", "protocol"], "Network connection detected"
    ),
    (_SYSMON_LINUX, "5"): Categorization(["process"], ["end"], "Process terminated"),
    (_SYSMON_LINUX, "11"): Categorization(["file"], ["creation"], "File created"),
    (_SYSMON_LINUX, "23"): Categorization(["file"], ["deletion"], "File Delete archived"),
    (_SYSMON_LINUX, "26"): Categorization(["file"], ["deletion"], "File Delete logged"),
}
_AUDIT_OUTCOMES = (("Audit Failure", "failure"), ("Audit Success", "success"))

# EventData name -> ECS field, for text values.
_TEXT = {
    "CommandLine": "process.command_line",
    "Image": "process.executable",
    "NewProcessName": "process.executable",
    "ParentImage": "process.parent.executable",
    "ParentProcessName": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line",
    "CurrentDirectory": "process.working_directory",
    "TargetDomainName": "user.domain",
    "TargetFilename": "file.path",
    "TargetObject": "registry.path",
    "QueryName": "dns.question.name",
    "ServiceName": "service.name",
    "ImagePath": "file.path",
}
# EventData name -> ECS integer field; Security events write ids in hex (0x1a4).
_NUMBERS = {
    "ProcessId": "process.pid",
    "NewProcessId": "process.pid",
    "ParentProcessId": "process.parent.pid",
    "IpPort": "source.port",
    "SourcePort": "source.port",
    "DestinationPort": "destination.port",
    "DestPort": "destination.port",
}
_CREATION_NUMBERS = {**_NUMBERS, "ProcessId": "process.parent.pid"}
# EventData name -> ECS address prefix (an IP goes to <prefix>.ip, typed ip; IPv6 too).
_ADDRESSES = {
    "IpAddress": "source",
    "SourceAddress": "source",
    "SourceIp": "source",
    "ClientAddress": "source",
    "DestinationIp": "destination",
    "DestAddress": "destination",
    "DestinationAddress": "destination",
}
_HOSTNAMES = {"SourceHostname": "source.domain", "DestinationHostname": "destination.domain"}
_USERS = ("TargetUserName", "SubjectUserName")
_LONG_MAX = 2**63 - 1


def _number(value: object) -> int | None:
    """A decimal or ``0x`` hex id as an int, else None (never raises on hostile text)."""
    if type(value) is int:
        return value if 0 <= value <= _LONG_MAX else None
    if not isinstance(value, str) or not value or len(value) > 20 or not value.isascii():
        return None
    if value.isdigit():  # the usual port or decimal id: no case to fold, no prefix to test
        number = int(value)
    else:
        text = value.lower()
        try:
            number = int(text, 16) if text.startswith("0x") else int(text, 10)
        except ValueError:
            return None
    return number if 0 <= number <= _LONG_MAX else None


def _put_text(fields: Fields, target: str, value: object) -> None:
    if isinstance(value, str) and target not in fields:
        put_text(fields, target, value)


def _put_number(fields: Fields, target: str, value: object) -> None:
    number = _number(value)
    if number is not None and target not in fields:
        if not (target.endswith(".port") and number == 0):
            fields[target] = number


def _put_address(fields: Fields, prefix: str, value: object) -> None:
    if isinstance(value, str) and prefix + ".ip" not in fields:
        # "::ffff:10.0.0.1" is how Windows writes an IPv4 client on a dual stack.
        if value.startswith("::ffff:") and is_ip(value[7:]):
            value = value[7:]
        put_address(fields, prefix, value)


def _put_hostname(fields: Fields, target: str, value: object) -> None:
    if isinstance(value, str):
        put_text(fields, target, value)


_Put = Callable[[Fields, str, object], None]


def _rules(numbers: dict[str, str]) -> dict[str, tuple[_Put, str]]:
    """Field name of an EventData value -> (how it is put, target), in the order the rules
    apply: of two names with one target (Image, NewProcessName), the first present wins, and
    a hostname is put after the address it may name."""
    tables: tuple[tuple[_Put, dict[str, str]], ...] = (
        (_put_text, _TEXT),
        (_put_number, numbers),
        (_put_address, _ADDRESSES),
        (_put_hostname, _HOSTNAMES),
    )
    return {
        EVENT_DATA + name: (put, target) for put, table in tables for name, target in table.items()
    }


_RULES = _rules(_NUMBERS)
# Security 4688 names the new process NewProcessId and its creator ProcessId.
_CREATION_RULES = _rules(_CREATION_NUMBERS)
_RANK = {key: rank for rank, key in enumerate(_RULES)}
_RULE_KEYS = frozenset(_RULES)
_NEW_PROCESS_ID = EVENT_DATA + "NewProcessId"
_PROTOCOL = EVENT_DATA + "Protocol"
_USER_KEYS = tuple(EVENT_DATA + name for name in _USERS)


def _event_data(fields: Fields) -> None:
    # An event carries a few of the thirty names the rules read: find them with one set
    # intersection, then apply only theirs, in rule order.
    present = fields.keys() & _RULE_KEYS
    if present:
        rules = _CREATION_RULES if _NEW_PROCESS_ID in present else _RULES
        for key in sorted(present, key=_RANK.__getitem__):
            put, target = rules[key]
            put(fields, target, fields[key])
    protocol = fields.get(_PROTOCOL)
    if isinstance(protocol, str) and protocol:
        fields["network.transport"] = transport(protocol)


def _user(fields: Fields) -> None:
    for key in _USER_KEYS:
        value = fields.get(key)
        if isinstance(value, str) and value not in ("", "-"):
            fields["user.name"] = value
            return


def _audit_outcome(keywords: str) -> str | None:
    # winlogbeat writes a list (kept as JSON text), nxlog a number or a name.
    for name, outcome in _AUDIT_OUTCOMES:
        if name in keywords:
            return outcome
    return None


def _categorize(fields: Fields, channel: str, code: str) -> None:
    known = CATEGORIZATION.get((channel.lower(), code))
    keywords = fields.get("winlog.keywords")
    keywords = keywords if isinstance(keywords, str) else ""
    audit = _audit_outcome(keywords)
    if known is None:
        if audit:
            fields["event.outcome"] = audit
        return
    fields["event.category"] = list(known.category)
    fields["event.type"] = list(known.type)
    fields["event.action"] = known.action
    fields["event.outcome"] = audit or known.outcome


def add_ecs(fields: Fields, channel: str, code: str) -> None:
    """Categorize the event and copy the EventData values that have an ECS home."""
    _user(fields)
    _event_data(fields)
    _categorize(fields, channel, code)
