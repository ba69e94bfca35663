"""Health numbers the SQLite store tallies when it writes events: what a write counts, how
large and odd batches are summarised, and databases made before the tallies existed."""

from __future__ import annotations

import random
import sqlite3
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from canhgac.health.model import HealthBucket, SourceKey
from canhgac.models import Event
from canhgac.store.sqlite.health_tally import COMPACT_AT, SAMPLE, Tally, weighted_median
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso
from tests.support.health_scenario import HOUR, MINUTE, Clock, H, load

KEY = SourceKey(source="syslog-tcp", host="ecab-web01", dataset="system.auth")
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(H + MINUTE)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF", now=clock.iso)
    yield s
    s.close()


def auth(n: int, stamp: Any, **extra: Any) -> Event:
    fields: dict[str, Any] = {
        "@timestamp": to_iso(stamp) if isinstance(stamp, datetime) else stamp,
        "event.original": f"sshd line {n}",
        "event.dataset": "system.auth",
        "event.module": "system",
        "event.action": "ssh_login",
        "host.name": "ecab-web01",
        "canhgac.source": "syslog-tcp",
    }
    fields.update(extra)
    return Event(f"e{n}", fields)


def hour_of(store: SQLiteStore, hour: datetime = H) -> dict[SourceKey, HealthBucket]:
    buckets = store.health().compute(to_iso(hour), to_iso(hour + HOUR), computed_at="x")
    return {bucket.key: bucket for bucket in buckets}


# --- what a write counts ---------------------------------------------------------------------
def test_events_already_stored_count_once(store: SQLiteStore) -> None:
    first = [auth(n, H) for n in range(5)]
    assert store.write_events(first) == 5
    # a re-delivery: three stored already, two new, one of them twice in the same write
    again = [*first[2:], auth(5, H), auth(6, H), auth(6, H)]
    assert store.write_events(again) == 2
    assert store.write_events(first) == 0
    assert hour_of(store)[KEY].events == 7


def test_recomputing_an_hour_gives_the_same_buckets(store: SQLiteStore, clock: Clock) -> None:
    for batch in range(3):
        clock.now = H + (batch + 1) * MINUTE
        store.write_events([auth(batch * 10 + n, clock.now - 3 * SECOND) for n in range(10)])
    first = store.health().compute(to_iso(H), to_iso(H + HOUR), computed_at="x")
    assert first == store.health().compute(to_iso(H), to_iso(H + HOUR), computed_at="x")
    (bucket,) = first
    assert (bucket.events, bucket.skew_median_s, bucket.skew_worst_s) == (30, 3.0, 3.0)
    assert bucket.first_ingested == to_iso(H + MINUTE)
    assert bucket.last_ingested == to_iso(H + 3 * MINUTE)


def test_understood_counts_agree_with_the_samples_of_what_was_not(
    store: SQLiteStore, clock: Clock
) -> None:
    """The write-time rule (Python) and the samples' rule (SQL) are one rule."""
    base = {"canhgac.source": "files", "host.name": "h"}
    cases: list[dict[str, Any]] = [
        {"event.dataset": "system.auth", "event.action": "ssh_login"},  # understood
        {"event.dataset": "system.auth", "user.name": "an"},  # key field missing
        {"event.dataset": "nginx.access", "url.path": "/"},  # understood
        {"event.dataset": "nginx.access", "event.action": "x"},  # not its key field
        {"event.dataset": "custom.app", "error.message": "lỗi"},  # a generic field
        {"event.dataset": "custom.app", "message": "only text"},  # none
        {"event.dataset": "raw", "event.module": "raw"},  # raw
        {"event.module": "raw", "source.ip": "10.0.0.1"},  # raw, even with a generic field
        {"source.ip": "10.0.0.1"},  # no dataset, a generic field
    ]
    events = [
        Event(f"u{n}", {"@timestamp": to_iso(H), "event.original": f"l{n}", **base, **extra})
        for n, extra in enumerate(cases)
    ]
    store.write_events(events)
    buckets = hour_of(store)
    start, end = to_iso(H), to_iso(H + HOUR)
    assert sum(b.events for b in buckets.values()) == len(cases)
    assert sum(b.understood for b in buckets.values()) == 4
    assert sum(b.raw for b in buckets.values()) == 2
    for key, bucket in buckets.items():
        samples = store.health().not_understood_samples(key, start, end, limit=100)
        assert len(samples) == bucket.events - bucket.understood, key


def test_sequence_numbers_across_writes(store: SQLiteStore, clock: Clock) -> None:
    numbers = [[3, 1, 2], [2, 5], [9, 10, "11", "x", -4], [12]]  # 4, 6, 7, 8 never arrive
    n = 0
    for batch, values in enumerate(numbers):
        clock.now = H + (batch + 1) * MINUTE
        events = []
        for value in values:
            events.append(auth(n, H, **{"winlog.record_id": value}))
            n += 1
        store.write_events(events)
    bucket = hour_of(store)[KEY]
    # distinct numbers 1 2 3 5 9 10 11 12; "x" and -4 are no numbers
    assert (bucket.events, bucket.sequenced, bucket.sequence_gaps) == (11, 8, 4)


# --- clock skew: large batches, odd timestamps -----------------------------------------------
def test_a_large_batch_keeps_exact_extremes_and_a_close_median(
    store: SQLiteStore, clock: Clock
) -> None:
    count = 40 * SAMPLE
    lateness = list(range(count))  # 0 .. count-1 seconds late
    random.Random(3).shuffle(lateness)
    clock.now = H + 2 * HOUR - MINUTE
    stamps = [clock.now - late * SECOND for late in lateness]
    stamps[0] = clock.now + 5 * MINUTE  # one from the future
    store.write_events([auth(n, stamp) for n, stamp in enumerate(stamps)])
    bucket = hour_of(store, H + HOUR)[KEY]
    assert bucket.events == count
    assert bucket.future == 1
    assert bucket.skew_worst_s == max(lateness[1:])
    exact = sorted(lateness[1:] + [-300])
    middle = (exact[count // 2 - 1] + exact[count // 2]) / 2
    # each sampled skew stands for count / SAMPLE events: the median's rank is off by at
    # most half of that
    assert bucket.skew_median_s is not None
    assert abs(bucket.skew_median_s - middle) <= count / SAMPLE / 2


def test_many_small_batches_give_the_exact_median(store: SQLiteStore, clock: Clock) -> None:
    lateness = [1, 7, 2, 30, 2, 9, 4, 600]
    for n, late in enumerate(lateness):
        clock.now = H + (n + 1) * MINUTE
        store.write_events([auth(n, clock.now - late * SECOND)])
    bucket = hour_of(store)[KEY]
    assert bucket.skew_median_s == 5.5  # (4 + 7) / 2
    assert bucket.skew_worst_s == 600.0


def test_timestamps_in_other_forms_are_converted_and_non_times_have_no_skew(
    store: SQLiteStore, clock: Clock
) -> None:
    clock.now = H + 10 * MINUTE
    events = [
        auth(0, "2026-03-10T10:09:58+07:00"),  # 2 s late, with an offset
        auth(1, "2026-03-10T03:09:57Z"),  # 3 s late, no fraction
        auth(2, "2026-03-10T03:09:56.5"),  # 3.5 s late, naive (UTC)
        auth(3, "not a time at all"),
        auth(4, 1773111600),  # not text
    ]
    store.write_events(events)
    bucket = hour_of(store)[KEY]
    assert bucket.events == 5
    assert (bucket.skew_median_s, bucket.skew_worst_s) == (3.0, 3.5)


def test_key_parts_that_are_not_text_are_counted_as_text(store: SQLiteStore) -> None:
    store.write_events(
        [
            auth(0, H, **{"canhgac.source": ["a", "b"]}),  # unhashable
            auth(1, H, **{"event.dataset": 7}),
            auth(2, H, **{"host.name": "", "log.source.address": "10.0.0.9"}),
        ]
    )
    keys = set(hour_of(store))
    assert keys == {
        SourceKey(source="['a', 'b']", host="ecab-web01", dataset="system.auth"),
        SourceKey(source="syslog-tcp", host="ecab-web01", dataset="7"),
        SourceKey(source="syslog-tcp", host="10.0.0.9", dataset="system.auth"),
    }
    seen = store.health().last_seen(to_iso(H))
    assert set(seen) == keys


def test_weighted_median() -> None:
    assert weighted_median([]) is None
    assert weighted_median([(5, 1)]) == 5.0
    assert weighted_median([(1, 1), (9, 1)]) == 5.0
    assert weighted_median([(1, 3), (9, 1)]) == 1.0
    assert weighted_median([(9, 2), (1, 2)]) == 5.0
    assert weighted_median([(1, 1), (2, 1), (100, 1)]) == 2.0


# --- a database made before the tallies ------------------------------------------------------
def _as_before_the_tallies(path: Path) -> None:
    """Leave the database as the store left it before it tallied writes: the events table
    was the same, the tally tables did not exist."""
    with sqlite3.connect(path) as conn:
        for table in ("health_batches", "source_last_seen", "health_meta"):
            conn.execute(f"DROP TABLE {table}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    """The scenario written by this version of the store."""
    clock = Clock(H - 3 * HOUR)
    s = SQLiteStore(tmp_path_factory.mktemp("ref") / "c.db", synchronous="OFF", now=clock.iso)
    load(s, clock)
    yield s
    s.close()


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    """The scenario until H+5m written before the upgrade, the rest after it."""
    clock = Clock(H - 3 * HOUR)
    path = tmp_path_factory.mktemp("old") / "c.db"
    old = SQLiteStore(path, synchronous="OFF", now=clock.iso)
    load(old, clock, until=H + 5 * MINUTE)
    old.close()
    _as_before_the_tallies(path)
    s = SQLiteStore(path, synchronous="OFF", now=clock.iso)
    load(s, clock)  # what was stored already is ignored
    yield s
    s.close()


def test_an_upgraded_database_gives_the_same_hours(
    upgraded: SQLiteStore, reference: SQLiteStore
) -> None:
    for hour in (H - 3 * HOUR, H - HOUR, H):
        assert hour_of(upgraded, hour) == hour_of(reference, hour)
    # hour H mixes both kinds: log01's numbers 1-3 came before the upgrade, 5-10 after
    log = hour_of(upgraded)[
        SourceKey(source="syslog-tcp", host="ecab-log01", dataset="system.auth")
    ]
    assert (log.events, log.sequenced, log.sequence_gaps) == (8, 8, 2)


def test_an_upgraded_database_answers_the_same_queries(
    upgraded: SQLiteStore, reference: SQLiteStore
) -> None:
    for since in (H - 3 * HOUR, H - HOUR, H + 30 * MINUTE):
        assert upgraded.health().last_seen(to_iso(since)) == reference.health().last_seen(
            to_iso(since)
        )
    db = SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth")
    start, end = to_iso(H), to_iso(H + HOUR)
    assert upgraded.health().not_understood_samples(
        db, start, end
    ) == reference.health().not_understood_samples(db, start, end)


def test_the_upgrade_tallies_only_new_writes_and_notes_the_boundary_once(
    upgraded: SQLiteStore, tmp_path: Path
) -> None:
    with sqlite3.connect(upgraded.path) as conn:
        (tallied,) = conn.execute("SELECT sum(events) FROM health_batches").fetchone()
        (after,) = conn.execute(
            "SELECT count(*) FROM events WHERE ingested >= ?", (to_iso(H + 5 * MINUTE),)
        ).fetchone()
        meta = dict(conn.execute("SELECT name, value FROM health_meta"))
    assert tallied == after > 0
    assert meta["legacy_until"] < to_iso(H + 5 * MINUTE)
    reopened = SQLiteStore(upgraded.path, synchronous="OFF")
    reopened.close()
    with sqlite3.connect(upgraded.path) as conn:
        assert dict(conn.execute("SELECT name, value FROM health_meta")) == meta
    fresh = SQLiteStore(tmp_path / "new.db")
    fresh.close()
    with sqlite3.connect(tmp_path / "new.db") as conn:
        assert conn.execute("SELECT count(*) FROM health_meta").fetchone() == (0,)


def _hour_of_batches(tally_count: int, seed: int, distinct: bool) -> list[Tally]:
    """Batch tallies of one key over an hour: skews repeating (ms values) or all distinct,
    sequence numbers mostly consecutive with a few gaps and repeats."""
    rng = random.Random(seed)
    parts = []
    high = 1000
    for n in range(tally_count):
        skews = [
            (n * 7 + k if distinct else rng.randrange(-300, 2000), rng.randrange(1, 4))
            for k in range(rng.randrange(1, 5))
        ]
        # Repeats across batches, and now and then a gap.
        low = high + 1 - rng.randrange(0, 3) + (50 if rng.random() < 0.01 else 0)
        high = low + rng.randrange(0, 5)
        parts.append(Tally(events=1, skews=skews, runs=[(low, high)]))
    return parts


@pytest.mark.parametrize("distinct", [False, True], ids=["repeating-skews", "distinct-skews"])
def test_an_hour_compacts_as_it_adds_up_and_answers_exactly_the_same(distinct: bool) -> None:
    parts = _hour_of_batches(30_000, seed=5, distinct=distinct)
    compacted = Tally()
    for part in parts:
        compacted.add(part)
    kept = Tally(
        skews=[skew for part in parts for skew in part.skews],
        runs=[run for part in parts for run in part.runs],
        events=len(parts),
    )
    bucket = compacted.bucket(("s", "h", "d"), "2026-12-04T10:00:00.000000Z", "now")
    assert bucket == kept.bucket(("s", "h", "d"), "2026-12-04T10:00:00.000000Z", "now")
    assert bucket.sequence_gaps > 0 and bucket.skew_median_s is not None
    # Held as few values as the data allows: every skew at most once, runs joined.
    assert len(compacted.runs) < COMPACT_AT * 2
    if not distinct:  # 2,300 values, and what came since the last compaction
        assert len(compacted.skews) <= 2 * 2300 + 4


def test_computing_an_hour_streams_its_batch_rows(store: SQLiteStore) -> None:
    # 100,000 batch rows (an hour at ~100 events/s, one key a batch) of 40 hosts. Fetched
    # all at once, the computation peaked at 62 MiB; read 2,000 rows at a time and compacted
    # as they add up, at 10.5 MiB (most of it the 40 keys' ~1,000 distinct skews each).
    hour = "2026-12-04T10:00:00.000000Z"
    stamp = "2026-12-04T10:30:00.000000Z"
    rows = [
        (stamp, "syslog-udp", f"cam-{n % 40:03d}", "camera.access", 1, 1, 0, 0, n % 997, n % 997)
        + (f"[{n % 997},1]", f"[{n // 40},{n // 40}]")  # each host numbers its records
        for n in range(100_000)
    ]
    with sqlite3.connect(store.path) as conn:
        conn.executemany(f"INSERT INTO health_batches VALUES ({', '.join('?' * 12)})", rows)
    del rows
    tracemalloc.start()
    try:
        buckets = store.health().compute(hour, "2026-12-04T11:00:00.000000Z", computed_at=hour)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(buckets) == 40 and sum(b.events for b in buckets) == 100_000
    assert peak < 20 * 2**20, f"{peak / 2**20:.1f} MiB"  # 10.5 MiB; 62 MiB fetched at once
