"""The entities an alert is about, as ``field=value`` keys incidents are matched on."""

from __future__ import annotations

from collections.abc import Sequence

from canhgac.models import Alert

DEFAULT_FIELDS = ("source.ip", "host.name", "user.name")
#: Longer values are no entity anyone pivots on (and would not be indexed as a keyword).
MAX_VALUE_CHARS = 512
#: Values that name no one in particular: grouping on them would lump unrelated alerts.
_MEANINGLESS = frozenset({"", "-", "unknown", "none", "null", "localhost", "127.0.0.1", "::1"})


def entity_key(field: str, value: str) -> str:
    return f"{field}={value}"


def alert_entities(alert: Alert, fields: Sequence[str] = DEFAULT_FIELDS) -> list[str]:
    """``field=value`` for each of ``fields`` the alert has: from its group key (what the rule
    grouped on) first, else from the snapshot of its matched event."""
    keys: list[str] = []
    for field in fields:
        value = alert.group_key.get(field, alert.snapshot.get(field))
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str | int):
            continue
        text = str(value).strip()
        if text.lower() in _MEANINGLESS or len(text) > MAX_VALUE_CHARS:
            continue
        keys.append(entity_key(field, text))
    return keys


def split_entity(key: str) -> tuple[str, str]:
    field, _, value = key.partition("=")
    return field, value
