"""What detection may know of a store's layout: each store's *dialect*.

A rule compiler writes queries in a store's own language, so it needs a little of how that
store keeps events: where a field lives in the SQLite table, how Elasticsearch maps each field
and which trigrams it indexes. A store's dialect is that knowledge (``store.dialect``), and
this module is the only door to it from outside :mod:`canhgac.store`: an import-linter
contract keeps ``alerting`` out of the store packages themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from canhgac.store.elasticsearch import grams as es_grams
from canhgac.store.elasticsearch import mappings as es_mappings
from canhgac.store.sqlite import schema as sqlite_schema


class Dialect(Protocol):
    """What every store's dialect names: the language its queries are written in."""

    @property
    def query_language(self) -> str: ...


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


@dataclass(frozen=True, slots=True)
class ElasticsearchDialect:
    """The Elasticsearch store's event mapping and the trigrams it indexes."""

    query_language: str = "elasticsearch"
    #: Set on events whose gram fields' trigrams are indexed (older events lack it).
    grams_marker: str = es_mappings.GRAMS_MARKER

    def events_mapping(self, *, total_fields_limit: int = 5000) -> dict[str, Any]:
        """The events' component template (see
        :func:`canhgac.store.elasticsearch.mappings.events_component`)."""
        return es_mappings.events_component(total_fields_limit=total_fields_limit)

    def needle_grams(
        self, segments: Iterable[str], limit: int = es_grams.MAX_NEEDLE_GRAMS
    ) -> list[str]:
        """The trigrams every value matching ``segments`` has (see
        :func:`canhgac.store.elasticsearch.grams.needle_grams`)."""
        return es_grams.needle_grams(segments, limit)


SQLITE = SQLiteDialect()
ELASTICSEARCH = ElasticsearchDialect()
#: Query language -> the dialect of the store that speaks it.
DIALECTS: dict[str, Dialect] = {
    dialect.query_language: dialect for dialect in (SQLITE, ELASTICSEARCH)
}

# What the one-language rule compilers import by name.
sql_field = SQLITE.field
sql_field_container = SQLITE.field_container
events_component = ELASTICSEARCH.events_mapping
needle_grams = ELASTICSEARCH.needle_grams
GRAMS_MARKER = ELASTICSEARCH.grams_marker
