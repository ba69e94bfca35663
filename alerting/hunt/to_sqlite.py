"""A search tree as a SQLite condition with bound parameters (:class:`SqlCondition`).

Matching is Sigma's, as the rule compiler does it (:mod:`alerting.detect.compile.sqlite`):
case-insensitive for every letter (ASCII with ``LIKE``, other letters folded with
``cg_fold``), a number matches a stored number or its text, comparisons go through
``cg_number``. The SQL text holds only field expressions from the store's dialect and
``?`` placeholders: what the analyst typed is always a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerting.detect.compile.patterns import contains, is_ascii
from alerting.detect.compile.sqlite.patterns import like_pattern
from alerting.hunt.syntax import (
    AllOf,
    AnyOf,
    Compare,
    Everything,
    InNetwork,
    Match,
    Node,
    Not,
    QuerySyntaxError,
)
from canhgac.errors import StoreError
from canhgac.models import ORIGINAL
from canhgac.store.dialect import sql_field
from canhgac.store.hunt import SqlCondition
from canhgac.text import fold

_COMPARE_SQL = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}


def compile_sqlite(node: Node) -> SqlCondition | None:
    """The condition of ``node``; None for the empty query (every event)."""
    if isinstance(node, Everything):
        return None
    params: list[Any] = []
    sql = _condition(node, params)
    return SqlCondition(sql, tuple(params))


def _field(name: str, position: int) -> str:
    try:
        return sql_field(name)
    except StoreError as exc:
        raise QuerySyntaxError(str(exc), position) from None


def _match(node: Match, params: list[Any]) -> str:
    if node.field is None:
        column = _field(ORIGINAL, node.position)
        parts = contains(node.parts)
    else:
        column = _field(node.field, node.position)
        parts = list(node.parts)
    if is_ascii(parts):
        params.append(like_pattern(parts, str))
        text_match = f"{column} LIKE ? ESCAPE '\\'"
    else:
        params.append(like_pattern(parts, fold))
        text_match = f"cg_fold({column}) LIKE ? ESCAPE '\\'"
    if node.numeric and node.field is not None:
        # A number also matches a stored number (JSON 404 or 404.0).
        params.append(float(node.text))
        return f"({text_match} OR cg_number({column}) = ?)"
    return text_match


def _compare(node: Compare, params: list[Any]) -> str:
    params.append(node.number)
    return f"cg_number({_field(node.field, node.position)}) {_COMPARE_SQL[node.op.name]} ?"


def _in_network(node: InNetwork, params: list[Any]) -> str:
    params.append(str(node.network))
    return f"cg_cidr({_field(node.field, node.position)}, ?)"


def _joined(word: str) -> Callable[[Any, list[Any]], str]:
    def join(node: Any, params: list[Any]) -> str:
        return "(" + f" {word} ".join(_condition(child, params) for child in node.children) + ")"

    return join


def _not(node: Not, params: list[Any]) -> str:
    # coalesce: an event without the field is "not matching", as Elasticsearch's must_not has it.
    return f"NOT coalesce(({_condition(node.child, params)}), 0)"


_BUILDERS: dict[type, Callable[[Any, list[Any]], str]] = {
    Match: _match,
    Compare: _compare,
    InNetwork: _in_network,
    Not: _not,
    AllOf: _joined("AND"),
    AnyOf: _joined("OR"),
    Everything: lambda node, params: "1",
}


def _condition(node: Node, params: list[Any]) -> str:
    return _BUILDERS[type(node)](node, params)
