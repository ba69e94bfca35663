"""How fast already-parsed events reach the SQLite store, directly and through the pipeline.

200,000 realistic events (about 15 ECS fields, a 200-byte ``event.original`` with Vietnamese
text) are written with ``SQLiteStore.write_events`` in batches of 2,000, with
``synchronous=FULL`` and ``NORMAL``; then the same events go the full in-process path:
MemoryTransport -> Indexer -> store. Prints events/s side by side; the store target is
>= 50,000 events/s.

    .venv/bin/python bench/bench_sqlite_ingest.py [--events 200000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from canhgac.models import Event, event_id
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.transport.base import Batch
from ingest.transport.memory import MemoryTransport

BATCH = 2_000
TARGET = 50_000
USERS = ["nguyễn.văn.an", "trần.thị.bình", "lê.hoàng.cường", "phạm.minh.đức", "root", "admin"]
HOSTS = [f"hn-portal-{n:02d}" for n in range(12)] + ["ubnd-hoankiem-ecab", "sở-tttt-fw01"]
MESSAGES = [
    "Đăng nhập thất bại cho người dùng {user} từ {ip} cổng {port} ssh2",
    "Accepted publickey for {user} from {ip} port {port} ssh2: RSA SHA256:x9Kq2…",
    "Hồ sơ một cửa được cập nhật bởi {user}: trạng thái đã tiếp nhận, phường Hàng Bạc",
]


def make_events(count: int, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    # Source addresses as in real traffic: a few hundred, a handful of them very busy.
    addresses = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"]
    addresses += [f"113.160.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(399)]
    weights = [1 / (rank + 1) for rank in range(len(addresses))]
    events = []
    for n in range(count):
        user, host = rng.choice(USERS), rng.choice(HOSTS)
        ip = rng.choices(addresses, weights)[0]
        port = rng.randrange(1024, 65535)
        second = n % 86_400
        stamp = f"2026-11-27T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        message = rng.choice(MESSAGES).format(user=user, ip=ip, port=port)
        original = f"<38>Nov 27 {stamp[11:]} {host} sshd[{1000 + n % 30000}]: {message}"
        original = (original + " " + "·" * 200)[:200]
        fields: dict[str, object] = {
            "@timestamp": f"{stamp}.{n % 1_000_000:06d}Z",
            "event.original": original,
            "event.dataset": "system.auth",
            "event.module": "system",
            "event.kind": "event",
            "event.category": "authentication",
            "event.action": "ssh_login",
            "event.outcome": rng.choice(["success", "failure"]),
            "host.name": host,
            "user.name": user,
            "source.ip": ip,
            "source.port": port,
            "process.name": "sshd",
            "process.pid": 1000 + n % 30000,
            "message": message,
            "log.syslog.priority": 38,
        }
        events.append(Event(event_id("bench:auth.log", n * 200), fields))
    return events


def _timed(work: Callable[[], None]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def store_rate(events: list[Event], directory: Path, synchronous: str) -> float:
    store = SQLiteStore(directory / f"direct-{synchronous}.db", synchronous=synchronous)

    def write() -> None:
        for start in range(0, len(events), BATCH):
            store.write_events(events[start : start + BATCH])

    seconds = _timed(write)
    assert store.count_events() == len(events)
    store.close()
    return len(events) / seconds


def pipeline_rate(events: list[Event], directory: Path, synchronous: str) -> float:
    """Batches of 500 (what a source sends) merged by the indexer into writes of 2,000."""
    store = SQLiteStore(directory / f"pipeline-{synchronous}.db", synchronous=synchronous)
    transport = MemoryTransport(capacity=64)
    indexer = Indexer(transport, store, batch_size=BATCH, batch_wait=0.2)
    acked = threading.Semaphore(0)
    batches = range(0, len(events), 500)

    def run() -> None:
        indexer.start()
        for start in batches:
            transport.send(Batch(events[start : start + 500], ack=acked.release))
        for _ in batches:
            acked.acquire()

    seconds = _timed(run)
    indexer.stop()
    transport.close()
    assert store.count_events() == len(events)
    store.close()
    return len(events) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    count = parser.parse_args().events
    started = time.perf_counter()
    events = make_events(count)
    print(f"generated {count:,} events in {time.perf_counter() - started:.1f}s")
    print(f"{'synchronous':<12} {'store events/s':>16} {'pipeline events/s':>19} {'ratio':>7}")
    with tempfile.TemporaryDirectory(prefix="canhgac-bench-") as tmp:
        for synchronous in ("FULL", "NORMAL"):
            direct = store_rate(events, Path(tmp), synchronous)
            full_path = pipeline_rate(events, Path(tmp), synchronous)
            verdict = "ok" if direct >= TARGET else f"below target {TARGET:,}"
            print(
                f"{synchronous:<12} {direct:>16,.0f} {full_path:>19,.0f}"
                f" {full_path / direct:>7.2f}  {verdict}"
            )


if __name__ == "__main__":
    main()
