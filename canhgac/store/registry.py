"""Store registry: config ``type`` -> a function that builds the store.

Builders import their backend lazily, so the embedded mode never loads ``elasticsearch``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canhgac.config import ElasticsearchStoreConfig, SQLiteStoreConfig
from canhgac.store.base import Store


def _sqlite(config: Any) -> Store:
    from canhgac.store.sqlite.store import SQLiteStore

    assert isinstance(config, SQLiteStoreConfig)
    return SQLiteStore(config.path, synchronous=config.synchronous)


def _elasticsearch(config: Any) -> Store:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    assert isinstance(config, ElasticsearchStoreConfig)
    return ElasticsearchStore(config)


STORES: dict[str, Callable[[Any], Store]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elasticsearch,
}


def build_store(config: SQLiteStoreConfig | ElasticsearchStoreConfig) -> Store:
    return STORES[config.type](config)
