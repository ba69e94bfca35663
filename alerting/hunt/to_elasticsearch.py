"""A search tree as Elasticsearch query DSL (dicts; never ``query_string``).

Each leaf goes through the rule compiler's own builders for the field's indexed type
(:mod:`alerting.detect.compile.elasticsearch.leaves`), so a search matches exactly what a
Sigma rule with the same value would: case-insensitive, wildcards, numbers stored either way,
and the trigram prefilter on ``event.original`` for free text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigma.exceptions import SigmaError

from alerting.detect.compile.elasticsearch.backend import ElasticsearchQueryBackend
from alerting.detect.compile.elasticsearch.grams import within_gram_budget
from alerting.detect.compile.elasticsearch.leaves import (
    CIDR_QUERIES,
    COMPARE_QUERIES,
    NUMBER_QUERIES,
    STRING_QUERIES,
)
from alerting.detect.compile.patterns import contains
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
from canhgac.models import ORIGINAL

Query = dict[str, Any]


class _Compiler:
    def __init__(self) -> None:
        self.backend = ElasticsearchQueryBackend()

    def target(self, field: str, position: int) -> tuple[str, Any]:
        try:
            return self.backend.target(field)
        except SigmaError as exc:
            raise QuerySyntaxError(str(exc), position) from None

    def match(self, node: Match) -> Query:
        field, kind = self.target(node.field or ORIGINAL, node.position)
        parts = contains(node.parts) if node.field is None else list(node.parts)
        try:
            text = STRING_QUERIES[kind](field, kind, parts, False, self.backend.mapping)
            if not node.numeric or node.field is None:
                return text
            number = float(node.text)
            numeric = NUMBER_QUERIES[kind](
                field, kind, int(number) if number.is_integer() else number, self.backend.mapping
            )
        except SigmaError as exc:
            raise QuerySyntaxError(str(exc), node.position) from None
        return {"bool": {"should": [text, numeric], "minimum_should_match": 1}}

    def compare(self, node: Compare) -> Query:
        field, kind = self.target(node.field, node.position)
        try:
            return COMPARE_QUERIES[kind](field, kind, node.op, node.number)
        except SigmaError as exc:
            raise QuerySyntaxError(str(exc), node.position) from None

    def in_network(self, node: InNetwork) -> Query:
        field, kind = self.target(node.field, node.position)
        try:
            return CIDR_QUERIES[kind](field, kind, node.network, self.backend.mapping)
        except SigmaError as exc:
            raise QuerySyntaxError(str(exc), node.position) from None

    def query(self, node: Node) -> Query:
        return _BUILDERS[type(node)](self, node)


_BUILDERS: dict[type, Callable[[_Compiler, Any], Query]] = {
    Match: _Compiler.match,
    Compare: _Compiler.compare,
    InNetwork: _Compiler.in_network,
    Not: lambda c, node: {"bool": {"must_not": [c.query(node.child)]}},
    AllOf: lambda c, node: {"bool": {"filter": [c.query(child) for child in node.children]}},
    AnyOf: lambda c, node: {
        "bool": {"should": [c.query(child) for child in node.children], "minimum_should_match": 1}
    },
    Everything: lambda c, node: {"match_all": {}},
}


def compile_elasticsearch(node: Node) -> Query | None:
    """The query DSL of ``node``; None for the empty query (every event)."""
    if isinstance(node, Everything):
        return None
    return within_gram_budget(_Compiler().query(node))
