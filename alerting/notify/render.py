"""How an alert reads to a person: the one-line summary, the who/where context, safe text.

Snapshot values come from log lines, so they are attacker-controlled: a terminal must never
receive their raw control characters (ANSI escapes could rewrite the screen, a newline could
forge a second alert line), and bidirectional overrides could make ``evil.exe`` read as
something else. Console output escapes them visibly; email and subjects drop them.
"""

from __future__ import annotations

from typing import Any

from canhgac.models import Alert

# Re-exported: the channels import them from here.
from canhgac.text import escape_controls as escape_controls
from canhgac.text import strip_controls as strip_controls
from canhgac.timeutil import for_display

#: Snapshot fields that say who and where, in the order they are shown.
CONTEXT_FIELDS = ("host.name", "user.name", "source.ip")

#: Longest value taken from a snapshot; the rest is cut (a log line can be a megabyte).
MAX_VALUE_CHARS = 200


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lookup(data: dict[str, Any], field: str) -> Any:
    """A flat dotted key first (the ECS contract), else a walk through nested objects."""
    if field in data:
        return data[field]
    node: Any = data
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def snapshot_value(alert: Alert, field: str) -> str | None:
    """A field from the alert's snapshot (or its group key), as bounded text; None if absent."""
    for source in (alert.snapshot, alert.group_key):
        value = _lookup(source, field)
        if value is not None and value != "":
            return shorten(_as_text(value))
    return None


def context(alert: Alert) -> dict[str, str]:
    """The :data:`CONTEXT_FIELDS` the alert has, raw (callers escape or strip for their medium)."""
    found = {field: snapshot_value(alert, field) for field in CONTEXT_FIELDS}
    return {field: value for field, value in found.items() if value is not None}


def display_time(alert: Alert) -> str:
    """When the activity began, in Asia/Ho_Chi_Minh with the zone named."""
    try:
        return for_display(alert.first_seen)
    except ValueError:
        return alert.first_seen


def summary(alert: Alert) -> str:
    """One line: severity, rule title, who/where, time. Control characters escaped."""
    parts = [f"[{alert.severity.upper()}] {shorten(alert.rule_title)}"]
    where = " ".join(f"{field}={value}" for field, value in context(alert).items())
    if where:
        parts.append(where)
    parts.append(display_time(alert))
    return escape_controls(" — ".join(parts))
