"""The SQLite store's dialect: where each ECS field lives in the events table (see
:mod:`canhgac.store.dialect`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from canhgac.store.sqlite import schema as sqlite_schema
from canhgac.store.sqlite.rule_query import RuleQuery


@dataclass(frozen=True, slots=True)
class SQLiteDialect:
    """The SQLite store's events table: indexed columns and a JSON document."""

    query_language: str = "sqlite"

    def field(self, name: str) -> str:
        """The SQL expression that reads ECS field ``name`` (see
        :func:`canhgac.store.sqlite.schema.sql_field`)."""
        return sqlite_schema.sql_field(name)

    def field_container(self, name: str) -> str | None:
        """The stored text holding field ``name``, or None for a field with its own column
        (see :func:`canhgac.store.sqlite.schema.sql_field_container`)."""
        return sqlite_schema.sql_field_container(name)

    def rule_query(
        self, query: str, required: Iterable[Iterable[str]], datasets: Iterable[str] | None
    ) -> str:
        """A rule's WHERE fragment carrying what its compiler knows of the rows it matches
        (:class:`~canhgac.store.sqlite.rule_query.RuleQuery`): still the query text."""
        return RuleQuery(query, required, datasets)


SQLITE = SQLiteDialect()
