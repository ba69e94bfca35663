"""Linux audit records (``/var/log/audit/audit.log``, or audispd/audisp-syslog over syslog).

``type=EXECVE msg=audit(1709622131.123:4567): argc=3 a0="ls" a1="-la" a2=2F746D702F612062``

auditd writes a value that holds a space, quote or control character as unquoted upper-case
hex; such values are decoded for the fields that can carry text. ``USER_*`` records nest a
second list of pairs in ``msg='...'``; those become ``hanoi.auditd.<key>`` too. With
``log_format=ENRICHED`` the resolved names follow a 0x1D separator in upper-case keys.

Every pair is kept as ``hanoi.auditd.<key>``; the ECS fields come from
:mod:`ingest.parse.auditd_event`, the same for a record alone and for the whole event that
:mod:`ingest.parse.auditd_join` makes of the records sharing one ``msg=audit(time:serial)``.
"""

from __future__ import annotations

import re

from canhgac.errors import ParseError
from ingest.parse.auditd_event import event_fields, unhex
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_int
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
_ENCODED = frozenset(
    ("proctitle", "cmd", "acct", "comm", "exe", "cwd", "name", "path", "data", "key", "old", "new")
)
PREFIX = "hanoi.auditd."
JOINED = PREFIX + "joined."  # hanoi.auditd.joined.<type>: the other records of a joined event
#: Fields under PREFIX that the parser computes; every other one is a key=value of the record.
COMPUTED = frozenset(
    PREFIX + name for name in ("record_type", "sequence", "node", "syscall_name", "partial")
)


def _pairs(text: str, record_type: str, values: dict[str, str], fields: Fields) -> None:
    """Each pair into ``values`` (by its key, for the ECS fields) and into ``fields`` (as
    ``hanoi.auditd.<key>``) in one pass."""
    execve = record_type == "EXECVE"
    for key, double, single, bare in PAIR.findall(text):
        if single and key == "msg":
            _pairs(single, record_type, values, fields)  # USER_* records: the nested list
            continue
        if double or single:
            value = double or single
        elif bare and (key in _ENCODED or (execve and key[0] == "a")):
            value = unhex(key, bare)
        else:
            value = bare
        values[key] = fields[PREFIX + key] = value


def record_values(fields: Fields) -> dict[str, str]:
    """The key=value pairs of one parsed record, back from its fields."""
    return {
        key[len(PREFIX) :]: value
        for key, value in fields.items()
        if key.startswith(PREFIX)
        and key not in COMPUTED
        and not key.startswith(JOINED)
        and isinstance(value, str)
    }


def enrich_auditd(fields: Fields, record: str, origin: Origin) -> Fields | None:
    """Add the fields of the audit record ``record``; None if it is not one."""
    header = _HEADER.match(record)
    if header is None:
        return None
    node, record_type, seconds, fraction, sequence, body = header.groups()
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "auditd"
    fields["event.action"] = record_type.lower()
    micros = int(seconds) * 1_000_000 + int(((fraction or "") + "000000")[:6])
    when = from_micros(micros)
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
    fields[PREFIX + "record_type"] = record_type
    put_int(fields, PREFIX + "sequence", sequence)
    if node:
        fields[PREFIX + "node"] = node
    plain, _, enriched = body.partition("\x1d")
    values: dict[str, str] = {}
    _pairs(plain, record_type, values, fields)
    if enriched:
        _pairs(enriched, record_type, values, fields)
    event_fields(fields, [(record_type, values)])
    return fields


def parse_auditd(text: str, origin: Origin) -> Fields:
    fields: Fields = {}
    if enrich_auditd(fields, text, origin) is not None:
        return fields
    wrapped = match_syslog(text, origin)
    if wrapped is not None and enrich_auditd(wrapped, wrapped["message"], origin) is not None:
        return wrapped
    raise ParseError("not an auditd record: expected 'type=... msg=audit(...):'")
