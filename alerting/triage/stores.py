"""Which triage store a deployment uses (:func:`build_triage_store`).

By default the triage records live where the alerts do: in the SQLite store's own file, or in
the Elasticsearch cluster, so every web instance in front of one cluster shares accounts,
sessions, comments, history and the audit log. ``web.triage_db`` names a SQLite file instead
(one web instance keeping its records apart from a cluster it only reads alerts from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canhgac.config import ElasticsearchStoreConfig, Settings, SQLiteStoreConfig
from canhgac.store.triage import TriageStore


def _sqlite_file(path: str) -> TriageStore:
    from canhgac.store.sqlite.triage import SQLiteTriageStore

    return SQLiteTriageStore(path)


def _sqlite(config: Any) -> TriageStore:
    assert isinstance(config, SQLiteStoreConfig)
    return _sqlite_file(config.path)


def _elasticsearch(config: Any) -> TriageStore:
    from canhgac.store.elasticsearch.triage import ElasticsearchTriageStore

    assert isinstance(config, ElasticsearchStoreConfig)
    return ElasticsearchTriageStore(config)


#: store ``type`` -> the triage store that goes with it (imports are lazy, like the stores').
TRIAGE_STORES: dict[str, Callable[[Any], TriageStore]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elasticsearch,
}


def build_triage_store(settings: Settings) -> TriageStore:
    if settings.web.triage_db:
        return _sqlite_file(settings.web.triage_db)
    return TRIAGE_STORES[settings.store.type](settings.store)
