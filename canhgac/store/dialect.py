"""What detection may know of a store's layout: each store's *dialect*.

A rule compiler writes queries in a store's own language, so it needs a little of how that
store keeps events: where a field lives in the SQLite table, how Elasticsearch maps each field
and which trigrams it indexes. A store's dialect is that knowledge (``store.dialect``), and
this module is the only door to it from outside :mod:`canhgac.store`: an import-linter
contract keeps ``alerting`` out of the store packages themselves.
"""

from __future__ import annotations

from canhgac.registry import Registry
from canhgac.store.base import Dialect
from canhgac.store.elasticsearch.dialect import ELASTICSEARCH, ElasticsearchDialect
from canhgac.store.sqlite.dialect import SQLITE, SQLiteDialect

__all__ = [
    "DIALECTS",
    "ELASTICSEARCH",
    "SQLITE",
    "Dialect",
    "ElasticsearchDialect",
    "SQLiteDialect",
]

#: Query language -> the dialect of the store that speaks it.
DIALECTS: Registry[Dialect] = Registry(
    "query language", {dialect.query_language: dialect for dialect in (SQLITE, ELASTICSEARCH)}
)

# What the one-language rule compilers import by name.
sql_field = SQLITE.field
sql_field_container = SQLITE.field_container
sql_rule_query = SQLITE.rule_query
events_component = ELASTICSEARCH.events_mapping
needle_grams = ELASTICSEARCH.needle_grams
GRAMS_MARKER = ELASTICSEARCH.grams_marker
