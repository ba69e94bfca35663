"""ECS categorization (``event.kind/category/type/outcome``) completed for every event.

Parsers set what only they know (``event.category``, ``event.outcome``, sometimes
``event.type``); :func:`complete` fills in the rest from tables, once per record, so every
parser's events carry all four fields with ECS allowed values: ``event.type`` from the
action when the action says it (a session opened is a ``start``), else the category's usual
type; an event nothing categorizes is ``host``/``info``; an outcome nobody knows is
``unknown`` (an allowed ECS value: the event happened, whether it succeeded is not said).
"""

from __future__ import annotations

from ingest.parse.base import Fields

UNCATEGORIZED = "host"
UNKNOWN_OUTCOME = "unknown"

# event.action -> event.type, for the actions our parsers write (ECS expected types).
ACTION_TYPES: dict[str, str | list[str]] = {
    "session_opened": "start",
    "session_closed": "end",
    "ssh_disconnect": "end",
    "login": "start",
    "user_created": ["user", "creation"],
    "user_modified": ["user", "change"],
    "user_deleted": ["user", "deletion"],
    "password_changed": ["user", "change"],
    "group_created": ["group", "creation"],
    "group_deleted": ["group", "deletion"],
    "user_added_to_group": ["group", "change"],
    "user_removed_from_group": ["group", "change"],
    # auditd record types (lower case)
    "add_user": ["user", "creation"],
    "del_user": ["user", "deletion"],
    "user_mgmt": ["user", "change"],
    "user_chauthtok": ["user", "change"],
    "add_group": ["group", "creation"],
    "del_group": ["group", "deletion"],
    "grp_mgmt": ["group", "change"],
    "user_login": "start",
    "execve": "start",
}
# event.category -> the event.type ECS expects with it when nothing more precise is known.
CATEGORY_TYPES: dict[str, str] = {
    "authentication": "info",
    "session": "info",
    "process": "start",
    "iam": "info",
    "web": "access",
    "network": "connection",
    "file": "info",
    "configuration": "info",
    "host": "info",
    "malware": "info",
    "intrusion_detection": "info",
    "registry": "change",
    "driver": "info",
    "database": "info",
    "package": "info",
    "api": "info",
}


def _first(value: object) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def complete(fields: Fields) -> None:
    """Fill in the categorization fields a parser left out (see module doc)."""
    if "event.kind" not in fields:
        fields["event.kind"] = "event"
    category = fields.get("event.category")
    if not category:
        category = fields["event.category"] = UNCATEGORIZED
    if "event.type" not in fields:
        action = fields.get("event.action")
        known = ACTION_TYPES.get(action) if isinstance(action, str) else None
        fields["event.type"] = known or CATEGORY_TYPES.get(_first(category), "info")
    if "event.outcome" not in fields and fields["event.kind"] == "event":
        fields["event.outcome"] = UNKNOWN_OUTCOME
