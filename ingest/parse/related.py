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


def _collect(fields: Fields, names: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value and value not in values:
            values.append(value)
    return values


def fill_related(fields: Fields) -> None:
    """Set the three ``related.*`` fields that have values (a parser's own values kept)."""
    ips = [ip for ip in _collect(fields, _IPS) if is_ip(ip)]
    for name, values in (
        ("related.ip", ips),
        ("related.user", _collect(fields, _USERS)),
        ("related.hosts", _collect(fields, _HOSTS)),
    ):
        if values and name not in fields:
            fields[name] = values
