"""Which triage store a deployment uses (:func:`build_triage_store`).

By default the triage records live where the alerts do: in the SQLite store's own file, or in
the Elasticsearch cluster, so every web instance in front of one cluster shares accounts,
sessions, comments, history and the audit log. ``web.triage_db`` names a SQLite file instead
(one web instance keeping its records apart from a cluster it only reads alerts from).
"""

from __future__ import annotations

from canhgac.config import Settings
from canhgac.store.triage import TriageStore
from canhgac.store.triage_registry import TRIAGE_STORES, sqlite_triage_store


def build_triage_store(settings: Settings) -> TriageStore:
    if settings.web.triage_db:
        return sqlite_triage_store(settings.web.triage_db)
    return TRIAGE_STORES.get(settings.store.type)(settings.store)
