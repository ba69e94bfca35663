"""Which triage store a deployment uses (:func:`build_triage_store`).

By default the triage records live where the alerts do: in the SQLite store's own file, or in
the Elasticsearch cluster, so every web instance in front of one cluster shares accounts,
sessions, comments, history and the audit log. ``web.triage_db`` names a SQLite file instead
(one web instance keeping its records apart from a cluster it only reads alerts from).
"""

from __future__ import annotations

from canhgac.config import ElasticsearchStoreConfig, Settings, SQLiteStoreConfig
from canhgac.registry import Builder, Registry
from canhgac.store.triage import TriageStore


def _sqlite_file(path: str) -> TriageStore:
    from canhgac.store.sqlite_triage import SQLiteTriageStore

    return SQLiteTriageStore(path)


def _sqlite(config: SQLiteStoreConfig) -> TriageStore:
    return _sqlite_file(config.path)


def _elasticsearch(config: ElasticsearchStoreConfig) -> TriageStore:
    from canhgac.store.es_triage import ElasticsearchTriageStore

    return ElasticsearchTriageStore(config)


#: store ``type`` -> the triage store that goes with it (imports are lazy, like the stores').
TRIAGE_STORES: Registry[Builder[[], TriageStore]] = Registry(
    "store",
    {
        "sqlite": Builder(SQLiteStoreConfig, _sqlite),
        "elasticsearch": Builder(ElasticsearchStoreConfig, _elasticsearch),
    },
)


def build_triage_store(settings: Settings) -> TriageStore:
    if settings.web.triage_db:
        return _sqlite_file(settings.web.triage_db)
    return TRIAGE_STORES.get(settings.store.type)(settings.store)
