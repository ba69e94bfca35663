"""Store -> its hunting searches (:class:`~canhgac.store.hunt.EventHunt`), by query language.

Lives beside the store registries so that ``alerting`` reaches the concrete stores only
through this door (an import-linter contract keeps it out of the store packages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canhgac.registry import Registry
from canhgac.store.hunt import EventHunt


def _sqlite(store: Any) -> EventHunt:
    from canhgac.store.sqlite.hunt import SQLiteHunt

    return SQLiteHunt(store._read)  # the store's own read path and its threads' connections


def _elasticsearch(store: Any) -> EventHunt:
    from canhgac.store.elasticsearch.hunt import ElasticsearchHunt

    return ElasticsearchHunt(store._es, store.names.events_pattern)


HUNTS: Registry[Callable[[Any], EventHunt]] = Registry(
    "query language", {"sqlite": _sqlite, "elasticsearch": _elasticsearch}
)


def event_hunt(store: Any) -> EventHunt:
    """The hunting searches of ``store`` (a SQLite or Elasticsearch store)."""
    return HUNTS.get(store.query_language)(store)
