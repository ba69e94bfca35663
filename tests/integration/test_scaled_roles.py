"""The scaled mode as ops run it: `canhgac collect|index|detect` as separate processes on a
real Kafka broker and a real Elasticsearch node (deploy/services/up; see conftest.py).

Every process serves /healthz and /metrics (the tests read both). Each test has its own
topics, consumer group and index prefix (the conftest fixtures) and stops its processes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from canhgac.config import KafkaTransportConfig
from canhgac.models import AlertFilter
from canhgac.store.elasticsearch.store import ElasticsearchStore
from ingest.transport.kafka.client import client_options
from tests.support.city_traffic import EXPECTED, NOTIFIED, SENT, wait_for

from .scaled_site import (
    Site,
    alerts_by_rule,
    produce,
    send_city_logs,
)

from kafka import KafkaAdminClient, KafkaProducer  # isort: skip  (after ingest.transport.kafka)

pytestmark = pytest.mark.integration


@pytest.fixture
def site(
    tmp_path: Path, kafka_config: KafkaTransportConfig, es_store: ElasticsearchStore
) -> Iterator[Site]:
    deployment = Site(tmp_path, kafka_config, es_store)
    try:
        yield deployment
    finally:
        deployment.stop_all()


# --- tests -----------------------------------------------------------------------------------
def test_syslog_http_and_file_logs_become_alerts_stored_and_notified_once(site: Site) -> None:
    detect = site.role("detect", "detector").start()
    index = site.role("index", "indexer").start()
    collect = site.role("collect", "collector").start()

    send_city_logs(site)
    wait_for(lambda: site.store.count_events() >= SENT, 60, "every record indexed")
    wait_for(lambda: alerts_by_rule(site.store) == EXPECTED, 60, f"alerts {EXPECTED}")
    wait_for(lambda: detect.output().count(NOTIFIED) >= len(EXPECTED), 30, "notifications")
    time.sleep(3)  # more rule runs: nothing may double

    assert site.store.count_events() == SENT and site.store.count_dead_letters() == 0
    assert alerts_by_rule(site.store) == EXPECTED
    assert collect.metric("canhgac_collector_events_sent_total") == SENT
    assert collect.metric("canhgac_collector_events_acked_total") == SENT
    assert index.metric("canhgac_indexer_events_written_total") == SENT
    assert index.metric("canhgac_store_bulk_seconds_count") >= 1
    assert detect.metric("canhgac_alerts_raised_total") == len(EXPECTED)
    assert detect.metric("canhgac_rule_runs_total") > 0
    assert detect.metric("canhgac_rule_failures_total") == 0
    for role in (collect, index, detect):
        assert role.stop() == 0, role.output()
    assert detect.output().count(NOTIFIED) == len(EXPECTED)


def test_an_indexer_killed_mid_stream_and_restarted_stores_exactly_every_event(
    site: Site,
) -> None:
    total = 100_000
    producer = threading.Thread(target=produce, args=(site.kafka, "kill", total))
    producer.start()
    indexer = site.role("index", "indexer").start()
    try:
        wait_for(lambda: site.store.count_events() >= 20_000, 120, "a fifth of the stream")
        indexer.kill()
        killed_at = site.store.count_events()
        assert killed_at < total
        indexer.start()
        wait_for(lambda: site.store.count_events() >= total, 180, "the whole stream")
    finally:
        producer.join()
    time.sleep(2)  # a late duplicate write would show now
    assert site.store.count_events() == total
    lag = indexer.metric("canhgac_indexer_lag_messages")
    assert lag == 0
    assert indexer.stop() == 0, indexer.output()


def test_two_indexers_in_one_group_share_the_partitions(site: Site) -> None:
    first = site.role("index", "indexer-1").start()
    second = site.role("index", "indexer-2").start()
    admin = KafkaAdminClient(**client_options(site.kafka))
    try:

        def both_assigned() -> bool:
            group = admin.describe_groups([site.kafka.group_id])[site.kafka.group_id]
            members = group["members"] if group["group_state"] == "Stable" else []
            owned = [
                part
                for member in members
                for topic in member["member_assignment"]["assigned_partitions"]
                if topic["topic"] == site.kafka.topic
                for part in topic["partitions"]
            ]
            return len(members) == 2 and sorted(owned) == list(range(site.kafka.partitions))

        wait_for(both_assigned, 60, "both indexers in the consumer group")
    finally:
        admin.close()
    produce(site.kafka, "share", 12_000, batch=200)
    wait_for(lambda: site.store.count_events() >= 12_000, 120, "every event indexed")

    written = [r.metric("canhgac_indexer_events_written_total") for r in (first, second)]
    assert sum(written) == 12_000 == site.store.count_events()
    assert all(n > 0 for n in written), written  # each had partitions of its own


def test_two_detectors_raise_each_alert_once_and_notify_once(site: Site) -> None:
    detectors = [site.role("detect", f"detector-{n}").start() for n in (1, 2)]
    site.role("run", "pipeline", extra="roles: [collect, index]\n").start()

    send_city_logs(site)
    wait_for(lambda: alerts_by_rule(site.store) == EXPECTED, 60, f"alerts {EXPECTED}")

    def outputs() -> str:
        return "".join(d.output() for d in detectors)

    wait_for(lambda: outputs().count(NOTIFIED) >= len(EXPECTED), 30, "notifications")
    time.sleep(5)  # both keep running rules: several windows each

    assert alerts_by_rule(site.store) == EXPECTED
    raised = [d.metric("canhgac_alerts_raised_total") for d in detectors]
    assert sum(raised) == len(EXPECTED), raised
    for rule_id in {a.rule_id for a in site.store.list_alerts(AlertFilter(limit=100))}:
        runs = site.store.list_rule_runs(rule_id)
        # One detector per window: consecutive windows, none overlapping another's.
        for before, after in zip(runs, runs[1:], strict=False):
            assert before.window_end == after.window_start, (before, after)
    for detector in detectors:
        assert detector.stop() == 0, detector.output()
    assert outputs().count(NOTIFIED) == len(EXPECTED)


def test_malformed_input_ends_as_dead_letters_with_reasons(site: Site) -> None:
    site.role("run", "pipeline", extra="roles: [collect, index]\n").start()
    producer = KafkaProducer(**client_options(site.kafka))
    try:
        for value in (b"{not json", b'{"id": 7, "fields": []}', b"\xff\xfe\x00binary", b"[]"):
            producer.send(site.kafka.topic, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()
    with socket.create_connection(("127.0.0.1", site.syslog_port)) as tcp:
        frame = ("<13>Nov 27 10:00:00 web-01 app: " + "x" * 5000).encode()
        tcp.sendall(f"{len(frame)} ".encode() + frame)

    wait_for(lambda: site.store.count_dead_letters() >= 5, 60, "five dead letters")
    letters = site.store.list_dead_letters(limit=100)
    assert len(letters) == 5 and site.store.count_events() == 0
    assert all(letter.reason.strip() for letter in letters)
    from_kafka = [x for x in letters if site.kafka.topic in x.source + json.dumps(x.context)]
    assert len(from_kafka) == 4, [(x.source, x.reason) for x in letters]
    [too_long] = [x for x in letters if x not in from_kafka]
    assert too_long.source == "syslog-tcp" and "4096" in too_long.reason
