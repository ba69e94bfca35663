"""What the soak reads of a store besides alerts (bench/tools/store_peek.py), on a real
SQLite store: the same store API the scaled mode reads on Elasticsearch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench.tools.store_peek import oldest_watermark, stored_by_source
from canhgac.models import Event, RuleState
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import from_iso, to_iso, utcnow


def _event(event_id: str, source: str) -> Event:
    return Event(
        event_id,
        {
            "@timestamp": to_iso(utcnow()),
            "event.dataset": "nginx.access",
            "event.original": f"GET /dịch-vụ-công {event_id}",
            "canhgac.source": source,
            "host.name": "cong-thong-tin",
        },
    )


def test_events_stored_per_source_since_a_moment(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "canhgac.db")
    try:
        since = to_iso(utcnow())
        store.write_events([_event(f"p{n}", "portal") for n in range(3)])
        store.write_events([_event("u1", "syslog-udp")])
        assert stored_by_source(store, since) == {"portal": 3, "syslog-udp": 1}
        assert stored_by_source(store, to_iso(utcnow() + timedelta(hours=1))) == {}
    finally:
        store.close()


def test_the_oldest_watermark_of_the_rules_asked_about(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "canhgac.db")
    try:
        assert oldest_watermark(store, ["a", "b"]) is None  # no rule ran yet
        early, late = "2026-12-03T10:00:00.000000Z", "2026-12-03T10:05:00.000000Z"
        store.save_rule_states([RuleState(rule_id="a", watermark=late)])
        store.save_rule_states([RuleState(rule_id="b", watermark=early)])
        store.save_rule_states([RuleState(rule_id="c", watermark="2026-01-01T00:00:00.000000Z")])
        assert oldest_watermark(store, ["a", "b"]) == from_iso(early).timestamp()
        assert oldest_watermark(store, ["a"]) == from_iso(late).timestamp()
    finally:
        store.close()
