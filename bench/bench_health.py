"""What data health costs next to ingest, on the SQLite store.

N realistic records (sshd via syslog from four senders, nginx access lines from a file, some
raw text; Vietnamese included) are parsed with the real parsers and written in batches of
2,000, all within one hour of ``event.ingested``. Health costs CPU in two places, both timed:
when events are written (the store tallies each write per source key,
:mod:`canhgac.store.sqlite.health_batches`) and in the health job (the hourly computation,
``HealthStore.compute``, and the liveness scan, ``HealthStore.last_seen``). Prints CPU
seconds side by side and the ratio of health to the rest of ingest (parse + store); the
target is <= 5 %.

    .venv/bin/python bench/bench_health.py [--events 200000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from canhgac.models import DeadLetter, Event
from canhgac.store.sqlite import health_batches
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record

BATCH = 2_000
TARGET = 0.05
HOUR_START = datetime(2026, 11, 27, 3, tzinfo=UTC)
USERS = ["nguyễn.văn.an", "trần.thị.bình", "root", "admin"]


def make_lines(count: int, seed: int = 7) -> list[tuple[bytes, Origin]]:
    rng = random.Random(seed)
    senders = [
        Origin(source="syslog-tcp", identity=f"tcp:{n}", received_at="", peer=f"10.0.0.{n}:514")
        for n in range(1, 5)
    ]
    portal = Origin(source="portal", identity="file:1", received_at="", parser="nginx")
    lines: list[tuple[bytes, Origin]] = []
    for n in range(count):
        stamp = HOUR_START + timedelta(seconds=3600 * n / count)
        user, ip = rng.choice(USERS), f"113.160.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        kind = n % 10
        if kind < 6:
            message = f"Failed password for {user} from {ip} port {rng.randrange(1024, 65535)} ssh2"
            host = f"ecab-db0{n % 4}"
            line = f"<38>1 {to_iso(stamp)} {host} sshd {n % 30000} - - {message}"
            lines.append((line.encode(), senders[n % 4]))
        elif kind < 9:
            when = stamp.strftime("%d/%b/%Y:%H:%M:%S +0000")
            line = (
                f'{ip} - - [{when}] "GET /dich-vu-cong/ho-so?id={n} HTTP/1.1" 200 5123'
                f' "-" "Mozilla/5.0 (Windows NT 10.0) Cốc Cốc"'
            )
            lines.append((line.encode(), portal))
        else:
            lines.append((f"máy in tầng {n % 9} hết giấy, mã {n}".encode(), senders[0]))
    return lines


@contextmanager
def tally_timer() -> Iterator[list[float]]:
    """CPU seconds spent in the store's write-time tallies, summed into the yielded list."""
    spent = [0.0]
    record = health_batches.record

    def timed(*args: Any) -> None:
        began = time.process_time()
        record(*args)
        spent[0] += time.process_time() - began

    health_batches.record = timed
    try:
        yield spent
    finally:
        health_batches.record = record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    lines = make_lines(args.events)
    ticks = iter(range(10**9))

    def clock() -> str:  # event.ingested spread over the hour, as a day's traffic would be
        return to_iso(HOUR_START + timedelta(microseconds=next(ticks) * 3_600_000_000 // 200))

    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.db", now=clock)
        ingest = 0.0
        with tally_timer() as tallies:
            for start in range(0, len(lines), BATCH):
                began = time.process_time()
                records = [
                    to_record(raw, o, start + i)
                    for i, (raw, o) in enumerate(lines[start : start + BATCH])
                ]
                store.write_events([r for r in records if isinstance(r, Event)])
                store.write_dead_letters([r for r in records if isinstance(r, DeadLetter)])
                ingest += time.process_time() - began
        health = store.health()
        hour, end = to_iso(HOUR_START), to_iso(HOUR_START + timedelta(hours=2))
        began = time.process_time()
        buckets = health.compute(hour, end, computed_at=hour)
        compute = time.process_time() - began
        began = time.process_time()
        seen = health.last_seen(hour)
        scan = time.process_time() - began
        store.close()
    events = sum(b.events for b in buckets)
    written = tallies[0]
    rest = ingest - written
    total = written + compute + scan
    print(f"events stored          {events:>10,}  in {len(buckets)} source keys ({len(seen)} seen)")
    print(f"ingest (parse+store)   {rest:>10.3f} s CPU  ({events / ingest:,.0f} events/s in all)")
    print(f"health: write tallies  {written:>10.3f} s CPU  (inside the writes)")
    print(f"health: hour compute   {compute:>10.3f} s CPU")
    print(f"health: liveness scan  {scan:>10.3f} s CPU")
    print(f"health / ingest        {total / rest:>10.1%}   (target <= {TARGET:.0%})")


if __name__ == "__main__":
    main()
