"""What a soak reads of the store besides alerts, through the store's own API so the embedded
(SQLite) and the scaled (Elasticsearch) modes are read alike: events stored per source, and
the oldest rule watermark.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from canhgac.store.base import Store
from canhgac.timeutil import from_iso, to_iso, utcnow


def stored_by_source(store: Store, since: str) -> dict[str, int]:
    """Events stored per configured source since ``since``, from the store's health numbers
    (the tallies the SQLite store keeps with each write; an aggregation on Elasticsearch)."""
    now = utcnow()
    until = to_iso(now + timedelta(days=1))  # (Elasticsearch dates end in 2262)
    counts: dict[str, int] = {}
    for bucket in store.health().compute(since, until, computed_at=to_iso(now)):
        if bucket.events:
            counts[bucket.key.source] = counts.get(bucket.key.source, 0) + bucket.events
    return dict(sorted(counts.items()))


def oldest_watermark(store: Store, rule_ids: Sequence[str]) -> float | None:
    """The earliest watermark (epoch seconds) of ``rule_ids``: how far detection has searched,
    for the rule furthest behind; None before any rule ran."""
    states = store.get_rule_states(rule_ids)
    if not states:
        return None
    return min(from_iso(state.watermark).timestamp() for state in states.values())
