"""ECS ``related.ip``, ``related.user`` and ``related.hosts``: every address, user and host
an event names, in one field each, so one search ("everything about 10.0.0.9") finds the
event whichever role the value plays in it. Filled once per record after the parser."""

from __future__ import annotations

from ingest.parse.base import Fields
from ingest.parse.ecs import is_ip

_IPS = ("source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "source.nat.ip")
_USERS = (
    "user.name",
    "user.target.name",
    "user.effective.name",
    "source.user.name",
    "destination.user.name",
)
_HOSTS = ("host.name", "host.hostname", "source.domain", "destination.domain", "url.domain")
_RELATED = (("related.ip", _IPS), ("related.user", _USERS), ("related.hosts", _HOSTS))
# Every field a related value is read from: an event names few of them, so one C-level
# intersection with its keys replaces sixteen lookups per record.
_SOURCES = frozenset(_IPS + _USERS + _HOSTS)


def _collect(fields: Fields, names: tuple[str, ...], present: set[str]) -> list[str]:
    values: list[str] = []
    for name in names:
        if name in present:
            value = fields[name]
            if isinstance(value, str) and value and value not in values:
                values.append(value)
    return values


def fill_related(fields: Fields) -> None:
    """Set the three ``related.*`` fields that have values (a parser's own values kept)."""
    present = fields.keys() & _SOURCES
    if not present:
        return
    for name, sources in _RELATED:
        if present.isdisjoint(sources):
            continue
        values = _collect(fields, sources, present)
        if name == "related.ip":
            values = list(filter(is_ip, values))  # filter: no comprehension frame per record
        if values and name not in fields:
            fields[name] = values
