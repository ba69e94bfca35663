"""The store `rules import` and `rules check` ask about each compiled query.

SQLite checks a statement when it prepares it, whatever the data, so an empty temporary
database answers exactly as the configured one would (and the configured database is not
touched). Elasticsearch answers only for indices holding events, with its own settings and
limits: the configured node is asked (:mod:`alerting.detect.store_probe`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from canhgac.config import Settings
from canhgac.errors import StoreError
from canhgac.registry import Registry
from canhgac.store.base import Store

log = logging.getLogger(__name__)


@contextmanager
def _empty_sqlite(settings: Settings) -> Iterator[Store]:
    from canhgac.store.sqlite.store import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="canhgac-rules-probe-") as tmp:
        store = SQLiteStore(Path(tmp) / "probe.db", synchronous="OFF")
        try:
            yield store
        finally:
            store.close()


@contextmanager
def _configured(settings: Settings) -> Iterator[Store | None]:
    from canhgac.store.registry import build_store

    try:
        store = build_store(settings.store)
    except StoreError as exc:
        # Converting and judging rules needs no store; say what could not be checked.
        log.warning("the rules' queries were not run on the store: %s", exc)
        yield None
        return
    try:
        yield store
    finally:
        store.close()


PROBE_STORES: Registry[Callable[[Settings], AbstractContextManager[Store | None]]] = Registry(
    "store", {"sqlite": _empty_sqlite, "elasticsearch": _configured}
)


def probe_store(settings: Settings) -> AbstractContextManager[Store | None]:
    """The store to run each compiled query on once, for the configured store type (None,
    with a warning, when the configured store cannot be reached)."""
    return PROBE_STORES.get(settings.store.type)(settings)
