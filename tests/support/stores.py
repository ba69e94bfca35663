"""A store of each kind holding a test's events, for tests that run on both stores.

``sqlite`` is a file under the test's temporary directory; ``elasticsearch`` is the node of
``deploy/services/up`` (``CANHGAC_TEST_ES_URL``; the test FAILS without it), with its own
index prefix, deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import Event
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore

#: The ``params`` of a fixture that runs on both stores (Elasticsearch marked integration).
BOTH_STORES = ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)]


def store_with(kind: str, directory: Path, events: Sequence[Event]) -> Iterator[Store]:
    """A ``kind`` store holding ``events`` (all of them new), closed after the test."""
    store = _elasticsearch() if kind == "elasticsearch" else SQLiteStore(directory / "test.db")
    try:
        assert store.write_events(events) == len(events)
        yield store
    finally:
        if kind == "elasticsearch":
            store.delete_indices()  # type: ignore[attr-defined]
        store.close()


def _elasticsearch() -> Store:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail(
            "CANHGAC_TEST_ES_URL is not set: source var/services/services.env", pytrace=False
        )
    return ElasticsearchStore(
        ElasticsearchStoreConfig(hosts=[url], index_prefix=f"cgt-{uuid.uuid4().hex[:10]}")
    )
