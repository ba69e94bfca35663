"""A search as a Sigma rule skeleton for rule authors ("Save as Sigma rule draft").

Each leaf of the query becomes its own named selection and the condition mirrors the query's
tree, so the draft means what the search meant; the author then names the selections, fills
in the log source and the description. Written with ``yaml.safe_dump``: whatever the query
holds is a YAML value, never YAML structure.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import yaml
from sigma.types import SpecialChars

from alerting.hunt.syntax import AllOf, AnyOf, Compare, Everything, InNetwork, Match, Node, Not

_WILDCARD = {SpecialChars.WILDCARD_MULTI: "*", SpecialChars.WILDCARD_SINGLE: "?"}
_MODIFIER = {"LT": "lt", "LTE": "lte", "GT": "gt", "GTE": "gte"}


def sigma_value(node: Match) -> str | int | float:
    """The value as Sigma writes it: wildcards as ``*``/``?``, literal ones escaped."""
    if node.numeric and node.field is not None:
        number = float(node.text)
        return int(number) if number.is_integer() else number
    out: list[str] = []
    for part in node.parts:
        if isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?"))
        elif isinstance(part, SpecialChars):
            out.append(_WILDCARD[part])
    return "".join(out)


class _Draft:
    def __init__(self) -> None:
        self.detection: dict[str, Any] = {}

    def leaf(self, prefix: str, body: Any) -> str:
        name = f"{prefix}{len(self.detection) + 1}"
        self.detection[name] = body
        return name

    def condition(self, node: Node) -> str:
        return _CONDITIONS[type(node)](self, node)


def _match(draft: _Draft, node: Match) -> str:
    if node.field is None:
        return draft.leaf("keywords", [sigma_value(node)])
    return draft.leaf("selection", {node.field: sigma_value(node)})


def _compare(draft: _Draft, node: Compare) -> str:
    return draft.leaf("selection", {f"{node.field}|{_MODIFIER[node.op.name]}": node.number})


def _in_network(draft: _Draft, node: InNetwork) -> str:
    return draft.leaf("selection", {f"{node.field}|cidr": str(node.network)})


def _joined(word: str) -> Callable[[_Draft, Any], str]:
    def join(draft: _Draft, node: Any) -> str:
        return "(" + f" {word} ".join(draft.condition(child) for child in node.children) + ")"

    return join


_CONDITIONS: dict[type, Callable[[_Draft, Any], str]] = {
    Match: _match,
    Compare: _compare,
    InNetwork: _in_network,
    Not: lambda draft, node: f"not {draft.condition(node.child)}",
    AllOf: _joined("and"),
    AnyOf: _joined("or"),
    Everything: lambda draft, node: draft.leaf("selection", {"event.kind": "event"}),
}


def sigma_draft(query: str, tree: Node, author: str, date: str) -> str:
    """The YAML of a draft rule for the search ``query`` (parsed as ``tree``)."""
    draft = _Draft()
    condition = draft.condition(tree)
    if condition.startswith("(") and condition.endswith(")") and condition.count("(") == 1:
        condition = condition[1:-1]
    rule = {
        "title": f"Draft from search: {query[:80]}" if query else "Draft from search",
        "id": str(uuid.uuid4()),
        "status": "experimental",
        "description": f"Drafted from the event search: {query}",
        "author": author,
        "date": date,
        "logsource": {"product": "TODO"},
        "detection": {**draft.detection, "condition": condition},
        "falsepositives": ["TODO"],
        "level": "medium",
    }
    return yaml.safe_dump(rule, allow_unicode=True, sort_keys=False)
