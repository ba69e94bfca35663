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
# Source field -> the related field it feeds; and its rank, so that the sources an event
# names are read in the order of the tables above (related.ip first, source.ip first).
_RELATED_OF = {source: name for name, sources in _RELATED for source in sources}
_RANK = {source: rank for rank, source in enumerate(_IPS + _USERS + _HOSTS)}
_IP = "related.ip"


def fill_related(fields: Fields) -> None:
    """Set the three ``related.*`` fields that have values (a parser's own values kept):
    each one the distinct non-empty texts of its sources, IPs only for ``related.ip``."""
    present = fields.keys() & _SOURCES
    if not present:
        return
    related: dict[str, list[str]] = {}
    for source in sorted(present, key=_RANK.__getitem__):
        value = fields[source]
        if not isinstance(value, str) or not value:
            continue
        name = _RELATED_OF[source]
        values = related.get(name)
        if values is None:
            if name != _IP or is_ip(value):
                related[name] = [value]
        elif value not in values and (name != _IP or is_ip(value)):
            values.append(value)
    for name, values in related.items():
        if name not in fields:
            fields[name] = values
