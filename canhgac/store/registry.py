"""Store registry: config ``type`` -> the builder of that store.

Builders import their backend lazily, so the embedded mode never loads ``elasticsearch``.
"""

from __future__ import annotations

from canhgac.config import ElasticsearchStoreConfig, SQLiteStoreConfig
from canhgac.registry import Builder, Registry
from canhgac.store.base import Store


def _sqlite(config: SQLiteStoreConfig) -> Store:
    from canhgac.store.sqlite.store import SQLiteStore

    return SQLiteStore(config.path, synchronous=config.synchronous)


def _elasticsearch(config: ElasticsearchStoreConfig) -> Store:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    return ElasticsearchStore(config)


STORES: Registry[Builder[[], Store]] = Registry(
    "store",
    {
        "sqlite": Builder(SQLiteStoreConfig, _sqlite),
        "elasticsearch": Builder(ElasticsearchStoreConfig, _elasticsearch),
    },
)


def build_store(config: SQLiteStoreConfig | ElasticsearchStoreConfig) -> Store:
    return STORES.get(config.type)(config)
