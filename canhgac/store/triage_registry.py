"""Triage store registry: store ``type`` -> the triage store that goes with it.

By default the triage records live where the alerts do: in the SQLite store's own file, or in
the Elasticsearch cluster. Builders import their backend lazily, like the stores'
(:mod:`canhgac.store.registry`).
"""

from __future__ import annotations

from canhgac.config import ElasticsearchStoreConfig, SQLiteStoreConfig
from canhgac.registry import Builder, Registry
from canhgac.store.triage import TriageStore


def sqlite_triage_store(path: str) -> TriageStore:
    """A triage store in its own SQLite file (``web.triage_db``)."""
    from canhgac.store.sqlite.triage import SQLiteTriageStore

    return SQLiteTriageStore(path)


def _sqlite(config: SQLiteStoreConfig) -> TriageStore:
    return sqlite_triage_store(config.path)


def _elasticsearch(config: ElasticsearchStoreConfig) -> TriageStore:
    from canhgac.store.elasticsearch.triage import ElasticsearchTriageStore

    return ElasticsearchTriageStore(config)


TRIAGE_STORES: Registry[Builder[[], TriageStore]] = Registry(
    "store",
    {
        "sqlite": Builder(SQLiteStoreConfig, _sqlite),
        "elasticsearch": Builder(ElasticsearchStoreConfig, _elasticsearch),
    },
)
