"""Throughput of the scaled path: direct bulk into Elasticsearch vs. through Kafka first.

    deploy/services/up && source var/services/services.env
    .venv/bin/python bench/bench_kafka_es.py            # N=100000
    .venv/bin/python bench/bench_kafka_es.py -n 20000

Both sides write the same N synthetic auth events into a fresh index prefix with the store's
defaults (batches of 2000, the indexer's default). "direct" calls ``write_events`` in a loop;
"via Kafka" runs a KafkaSender (batches of 500, as a source cuts them) in a separate process,
like a collector, and the indexer of ``canhgac index`` (KafkaReceiver -> Indexer -> store)
here: "indexer alone" times the indexer draining the topic once the collector has filled it
(the indexer's throughput from Kafka, the figure the goal of >= 85 % of direct is about);
"collector alongside" times from the start of the collector to the last stored event, both
sharing this machine's cores. The direct path is also
run with ``refresh=wait_for`` to show why the store defaults to ``refresh=true``. Prints
events/s side by side and the ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from canhgac.config import ElasticsearchStoreConfig, KafkaTransportConfig
from canhgac.models import Event
from canhgac.store.elasticsearch.client import Refresh
from canhgac.store.elasticsearch.store import ElasticsearchStore
from ingest.indexer import Indexer
from ingest.transport.base import Batch
from ingest.transport.kafka.client import client_options
from ingest.transport.kafka.receiver import KafkaReceiver
from ingest.transport.kafka.sender import KafkaSender
from ingest.transport.kafka.topics import ensure_topics

from kafka import KafkaAdminClient  # isort: skip  (after ingest.transport.kafka: no warnings)

STORE_BATCH = 2000
SOURCE_BATCH = 500


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"{name} is not set: run deploy/services/up and source var/services/services.env")
    return value


def _events(n: int) -> list[Event]:
    hosts = [f"srv-{k:02d}.hanoi.gov.vn" for k in range(20)]
    return [
        Event(
            f"bench-{i:08d}",
            {
                "@timestamp": f"2026-11-27T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
                f"{i % 60:02d}.{i % 1_000_000:06d}Z",
                "event.original": f"Nov 27 10:00:00 {hosts[i % 20]} sshd[{i}]: Failed password"
                f" for nguyễn.văn.{i % 97} from 10.{i % 256}.0.{i % 200} port {1024 + i % 6000}",
                "event.dataset": "system.auth",
                "event.module": "system",
                "event.kind": "event",
                "event.category": "authentication",
                "event.outcome": "failure",
                "host.name": hosts[i % 20],
                "process.name": "sshd",
                "process.pid": i,
                "user.name": f"nguyễn.văn.{i % 97}",
                "source.ip": f"10.{i % 256}.0.{i % 200}",
                "source.port": 1024 + i % 6000,
            },
        )
        for i in range(n)
    ]


@contextmanager
def _store(refresh: Refresh = "true") -> Iterator[ElasticsearchStore]:
    config = ElasticsearchStoreConfig(
        hosts=[_env("CANHGAC_TEST_ES_URL")], index_prefix=f"cg-bench-{uuid.uuid4().hex[:8]}"
    )
    store = ElasticsearchStore(config, refresh=refresh)
    try:
        yield store
    finally:
        store.delete_indices()
        store.close()


def _timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    stored = run()
    return stored, time.perf_counter() - started


def direct(events: list[Event], refresh: Refresh) -> tuple[int, float]:
    with _store(refresh) as store:
        return _timed(
            lambda: sum(
                store.write_events(events[i : i + STORE_BATCH])
                for i in range(0, len(events), STORE_BATCH)
            )
        )


def _produce(config: KafkaTransportConfig, n: int, ready: Any, go: Any) -> None:
    """The collector's side, in a process of its own as in a deployment (and so that it
    does not share the GIL with the indexer being measured)."""
    events = _events(n)
    sender = KafkaSender(config)
    ready.set()
    go.wait()
    try:
        for i in range(0, n, SOURCE_BATCH):
            sender.send(Batch(events[i : i + SOURCE_BATCH]))
        sender.flush(timeout=120)
    finally:
        sender.close()


def via_kafka(n: int, *, alongside: bool) -> tuple[int, float]:
    """The indexer's time to store ``n`` events from Kafka: from a topic the collector has
    filled (the indexer's own throughput), or ``alongside`` the collector producing them on
    the same machine (then both share its cores, as they would not in a deployment)."""
    unique = uuid.uuid4().hex[:8]
    config = KafkaTransportConfig(
        bootstrap_servers=[_env("CANHGAC_TEST_KAFKA_BOOTSTRAP")],
        topic=f"cg-bench-events-{unique}",
        dead_letter_topic=f"cg-bench-dead-{unique}",
        group_id=f"cg-bench-{unique}",
        partitions=6,
    )
    ensure_topics(config)
    with _store() as store:
        receiver = KafkaReceiver(config, max_records=STORE_BATCH)
        receiver.receive(0.5)  # join the group before the clock starts

        spawn = multiprocessing.get_context("spawn")
        ready, go = spawn.Event(), spawn.Event()
        collector = spawn.Process(target=_produce, args=(config, n, ready, go))
        collector.start()
        ready.wait()  # process start-up and event generation are not timed

        if not alongside:
            go.set()
            collector.join()

        def index() -> int:
            go.set()
            indexer = Indexer(receiver, store, batch_size=STORE_BATCH)
            indexer.start()
            deadline = time.monotonic() + 300
            try:
                while time.monotonic() < deadline:
                    stats = indexer.stats()
                    if stats.events_written + stats.duplicates >= n:
                        break
                    time.sleep(0.005)
            finally:
                indexer.stop()
            collector.join()
            return indexer.stats().events_written

        try:
            return _timed(index)
        finally:
            receiver.close()
            admin = KafkaAdminClient(**client_options(config))
            admin.delete_topics([config.topic, config.dead_letter_topic])
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="events per run")
    args = parser.parse_args()
    events = _events(args.n)
    results = {
        "direct bulk, refresh=true": direct(events, "true"),
        "direct bulk, refresh=wait_for": direct(events, "wait_for"),
        "via Kafka, indexer alone": via_kafka(args.n, alongside=False),
        "via Kafka, collector alongside": via_kafka(args.n, alongside=True),
    }
    base = args.n / results["direct bulk, refresh=true"][1]
    print(f"{'path':32} {'stored':>8} {'seconds':>8} {'events/s':>10} {'ratio':>6}")
    for name, (stored, seconds) in results.items():
        rate = args.n / seconds
        print(f"{name:32} {stored:8d} {seconds:8.2f} {rate:10.0f} {rate / base:6.2f}")


if __name__ == "__main__":
    main()
