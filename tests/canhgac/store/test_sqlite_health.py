"""Data-health numbers computed by the SQLite store over a real database file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from canhgac.errors import StoreError
from canhgac.health.model import HealthBucket, SourceKey
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso
from tests.support.health_scenario import HOUR, MINUTE, Clock, H, load

WEB = SourceKey(source="syslog-tcp", host="ecab-web01", dataset="system.auth")
DB = SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth")
APP = SourceKey(source="syslog-udp", host="ecab-app01", dataset="system.auth")
LOG = SourceKey(source="syslog-tcp", host="ecab-log01", dataset="system.auth")
DB_SENDER = SourceKey(source="syslog-tcp", host="10.0.0.12", dataset="")


@pytest.fixture
def clock() -> Clock:
    return Clock(H - 3 * HOUR)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF", now=clock.iso)
    yield s
    s.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    """The whole scenario, written once for the tests that only read."""
    clock = Clock(H - 3 * HOUR)
    path = tmp_path_factory.mktemp("health") / "canhgac.db"
    s = SQLiteStore(path, synchronous="OFF", now=clock.iso)
    load(s, clock)
    yield s
    s.close()


@pytest.fixture(scope="module")
def hour_h(loaded: SQLiteStore) -> dict[SourceKey, HealthBucket]:
    buckets = loaded.health().compute(to_iso(H), to_iso(H + HOUR), computed_at="now")
    return {bucket.key: bucket for bucket in buckets}


def test_hour_keys_are_source_host_dataset(hour_h: dict[SourceKey, HealthBucket]) -> None:
    # mail01 is silent in H: no bucket; the dead letters sit under their sender's address
    assert set(hour_h) == {WEB, DB, APP, LOG, DB_SENDER}


def test_healthy_source_numbers(hour_h: dict[SourceKey, HealthBucket]) -> None:
    web = hour_h[WEB]
    assert (web.events, web.understood, web.raw, web.future) == (60, 60, 0, 0)
    assert (web.skew_median_s, web.skew_worst_s) == (2.0, 2.0)
    assert (web.sequenced, web.sequence_gaps) == (60, 0)
    assert web.first_ingested == to_iso(H + timedelta(seconds=30))
    assert web.last_ingested == to_iso(H + 59 * MINUTE + timedelta(seconds=30))
    assert web.events_per_minute == 1.0
    assert web.dead_letters == 0


def test_not_understood_source(hour_h: dict[SourceKey, HealthBucket]) -> None:
    db = hour_h[DB]
    assert (db.events, db.understood, db.raw, db.understood_ratio) == (30, 0, 0, 0.0)
    assert db.skew_median_s == 1.0


def test_clock_skew_and_future_events(hour_h: dict[SourceKey, HealthBucket]) -> None:
    app = hour_h[APP]
    assert (app.events, app.understood, app.future) == (22, 22, 2)
    assert app.skew_median_s == 1200.0
    assert app.skew_worst_s == 1200.0


def test_sequence_gaps(hour_h: dict[SourceKey, HealthBucket]) -> None:
    log = hour_h[LOG]
    assert (log.events, log.sequenced, log.sequence_gaps) == (8, 8, 2)
    assert log.sequence_gap_ratio == pytest.approx(0.2)


def test_dead_letters_by_sender_and_reason_class(hour_h: dict[SourceKey, HealthBucket]) -> None:
    dead = hour_h[DB_SENDER]
    assert dead.events == 0
    assert dead.dead_letters == 8
    assert dead.dead_letter_reasons == {"binary data": 6, "frame exceeds N bytes": 2}


def test_raw_lines_count_as_raw_and_not_understood(store: SQLiteStore, clock: Clock) -> None:
    from ingest.parse.base import Origin
    from ingest.parse.record import to_record

    clock.now = H + MINUTE
    origin = Origin(source="files", identity="f", received_at=clock.iso())
    records = [to_record(f"xin chào {i}".encode(), origin, i) for i in range(4)]
    store.write_events([r for r in records if isinstance(r, Event)])
    (bucket,) = store.health().compute(to_iso(H), to_iso(H + HOUR), computed_at="now")
    assert bucket.key == SourceKey(source="files", host="", dataset="raw")
    assert (bucket.events, bucket.raw, bucket.understood) == (4, 4, 0)


def test_save_hour_replaces_the_hour(store: SQLiteStore, clock: Clock) -> None:
    load(store, clock)
    health = store.health()
    start, end = to_iso(H), to_iso(H + HOUR)
    first = health.compute(start, end, computed_at="a")
    health.save_hour(start, first)
    health.save_hour(start, health.compute(start, end, computed_at="b"))
    stored = health.buckets(start, end)
    assert [b.model_copy(update={"computed_at": "a"}) for b in stored] == first
    assert health.computed_hours(start, end) == {start: "b"}
    # a key gone from a recomputed hour is gone from the series
    health.save_hour(start, first[:1])
    assert health.buckets(start, end) == first[:1]


def test_an_empty_hour_is_stored_but_lists_no_source(store: SQLiteStore) -> None:
    health = store.health()
    start, end = to_iso(H), to_iso(H + HOUR)
    health.save_hour(start, health.compute(start, end, computed_at="x"))
    assert health.buckets(start, end) == []
    assert start in health.computed_hours(start, end)


def test_last_seen_per_key(loaded: SQLiteStore) -> None:
    seen = loaded.health().last_seen(to_iso(H - HOUR))
    assert seen[
        SourceKey(source="syslog-tcp", host="ecab-mail01", dataset="system.auth")
    ] == to_iso(H - MINUTE + timedelta(seconds=40))
    assert seen[WEB] == to_iso(H + 59 * MINUTE + timedelta(seconds=30))
    assert DB_SENDER not in seen  # dead letters are no events


def test_samples_for_the_source_page(loaded: SQLiteStore) -> None:
    health = loaded.health()
    start, end = to_iso(H), to_iso(H + HOUR)
    samples = health.not_understood_samples(DB, start, end, limit=3)
    assert len(samples) == 3
    assert all("Phiên đăng nhập mới" in s.original for s in samples)
    assert samples[0].ingested > samples[1].ingested
    assert health.not_understood_samples(WEB, start, end) == []
    reasons = health.dead_letter_samples("syslog-tcp", start, end, per_reason=2)
    assert [(r.reason_class, r.count, len(r.samples)) for r in reasons] == [
        ("binary data", 6, 2),
        ("frame exceeds N bytes", 2, 2),
    ]
    assert reasons[1].samples[0].startswith("<38>1 AAAA")


def test_prune_drops_old_hours(store: SQLiteStore, clock: Clock) -> None:
    load(store, clock)
    health = store.health()
    for hour in (H - HOUR, H):
        health.save_hour(
            to_iso(hour), health.compute(to_iso(hour), to_iso(hour + HOUR), computed_at="x")
        )
    assert health.prune(to_iso(H)) == 4  # web01, db01, app01, mail01 of H-1h
    assert {b.hour for b in health.buckets(to_iso(H - 2 * HOUR), to_iso(H + HOUR))} == {to_iso(H)}


def test_probe_write_and_a_corrupt_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    store.health().probe_write()
    store.write_events(
        [
            Event(f"e{i}", {"@timestamp": to_iso(H), "event.original": "x" * 3000})
            for i in range(400)
        ]
    )
    store.close()
    data = bytearray(path.read_bytes())
    for offset in range(20 * 16384, min(len(data), 40 * 16384), 97):
        data[offset] = 0x55  # scribble over index and table pages
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt|not usable|not a database"):
        SQLiteStore(path)
