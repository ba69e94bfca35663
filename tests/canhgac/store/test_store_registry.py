"""Every store type the configuration accepts has a builder taking that config model."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.config import ElasticsearchStoreConfig, SQLiteStoreConfig, StoreConfig
from canhgac.errors import ConfigError
from canhgac.store.registry import STORES, build_store
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.registries import assert_builds_every_config_type


def test_every_configured_store_type_has_a_builder() -> None:
    assert_builds_every_config_type(STORES, StoreConfig)


def test_build_store_builds_the_configured_store(tmp_path: Path) -> None:
    store = build_store(SQLiteStoreConfig(path=str(tmp_path / "cg.db")))
    try:
        assert isinstance(store, SQLiteStore)
    finally:
        store.close()


def test_a_builder_handed_the_wrong_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ElasticsearchStoreConfig expected"):
        STORES.get("elasticsearch")(SQLiteStoreConfig())
    assert ElasticsearchStoreConfig.model_fields["type"].default == "elasticsearch"
