"""The host/source/destination context of an event or an alert, at query time.

Which fields name a host and which an address is one table (:data:`CONTEXT_FIELDS`); an
alert's grouping key comes before its snapshot, so the values the alert is about come first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from canhgac.assets.lookup import AssetIndex, Resolved
from canhgac.models import Alert


def _by_host(index: AssetIndex, value: str) -> Resolved | None:
    return index.host(value)


def _by_address(index: AssetIndex, value: str) -> Resolved | None:
    return index.address(value)


Resolver = Callable[[AssetIndex, str], Resolved | None]
#: ECS field -> how its value is resolved. The role names where the value sits in the flow.
CONTEXT_FIELDS: dict[str, tuple[str, Resolver]] = {
    "host.name": ("host", _by_host),
    "host.hostname": ("host", _by_host),
    "host.ip": ("host", _by_address),
    "source.ip": ("source", _by_address),
    "client.ip": ("source", _by_address),
    "destination.ip": ("destination", _by_address),
    "server.ip": ("destination", _by_address),
}
#: A value longer than this is no host name or address; it is not looked up.
MAX_VALUE_CHARS = 255


@dataclass(frozen=True, slots=True)
class FieldContext:
    field: str
    role: str  # host | source | destination
    resolved: Resolved


def field_context(index: AssetIndex, fields: Iterable[tuple[str, Any]]) -> list[FieldContext]:
    """The context of every (field, value) naming a host or address, each pair once."""
    out: list[FieldContext] = []
    seen: set[tuple[str, str]] = set()
    for name, value in fields:
        entry = CONTEXT_FIELDS.get(name)
        if entry is None:
            continue
        role, resolve = entry
        for text in _texts(value):
            if (name, text) in seen or not text or len(text) > MAX_VALUE_CHARS:
                continue
            seen.add((name, text))
            resolved = resolve(index, text)
            if resolved is not None:
                out.append(FieldContext(name, role, resolved))
    return out


def event_context(index: AssetIndex, fields: Mapping[str, Any]) -> list[FieldContext]:
    return field_context(index, fields.items())


def alert_context(index: AssetIndex, alert: Alert) -> list[FieldContext]:
    return field_context(index, [*alert.group_key.items(), *alert.snapshot.items()])


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
