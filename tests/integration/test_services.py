"""Smoke tests against the real Kafka broker and Elasticsearch node of deploy/services/up.

Run with:
    deploy/services/up
    source var/services/services.env
    .venv/bin/python -m pytest tests/integration/test_services.py -q

These tests fail (never skip) when the services are not configured, so a CI run that forgot
to start them cannot pass silently.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

pytestmark = [
    pytest.mark.integration,
    # kafka-python 3.0.x loads its protocol schemas with importlib.resources' legacy read_text /
    # open_text, which Python 3.11+ deprecates; the project turns warnings into errors, so allow
    # exactly those deprecations (their message ends "is deprecated. Use files() instead.").
    pytest.mark.filterwarnings(
        r"ignore:(read_text|open_text|open_binary|read_binary|path|contents|is_resource)"
        r" is deprecated\. Use files\(\) instead:DeprecationWarning"
    ),
]

HINT = "start the services with deploy/services/up and `source var/services/services.env`"


def _required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"{name} is not set: {HINT}", pytrace=False)
    return value


def test_kafka_roundtrip() -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import NewTopic

    bootstrap = _required_env("CANHGAC_TEST_KAFKA_BOOTSTRAP")
    topic = f"canhgac-it-{uuid.uuid4().hex[:12]}"
    payloads = [f"event-{i}".encode() for i in range(10)]

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="canhgac-it-admin")
    try:
        cluster = admin.describe_cluster()
        assert cluster["brokers"], f"no brokers in cluster description: {cluster}"
        admin.create_topics(
            [NewTopic(name=topic, num_partitions=1, replication_factor=1)],
            timeout_ms=30_000,
        )

        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        try:
            futures = [producer.send(topic, value=p, key=b"k") for p in payloads]
            producer.flush(timeout=30)
            offsets = [f.get(timeout=30).offset for f in futures]
        finally:
            producer.close(timeout=10)
        assert offsets == list(range(10)), f"unexpected offsets {offsets}"

        # A consumer group exercises the group coordinator and __consumer_offsets, i.e. the
        # broker's replication-factor-1 settings for internal topics.
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}-group",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=1_000,
        )
        received: list[bytes] = []
        try:
            deadline = time.monotonic() + 60
            while len(received) < len(payloads) and time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=1_000).values():
                    received.extend(record.value for record in batch)
            consumer.commit()
        finally:
            consumer.close()
        assert received == payloads, f"consumed {received!r}, expected {payloads!r}"
    finally:
        try:
            admin.delete_topics([topic], timeout_ms=30_000)
        except Exception:  # noqa: BLE001 - cleanup must not mask the test's own failure
            pass
        admin.close()


def test_elasticsearch_roundtrip() -> None:
    from elasticsearch import Elasticsearch

    url = _required_env("CANHGAC_TEST_ES_URL")
    index = f"canhgac-it-{uuid.uuid4().hex[:12]}"

    es = Elasticsearch(url, request_timeout=30)
    try:
        health = es.cluster.health(wait_for_status="yellow", timeout="30s")
        assert health["status"] in ("yellow", "green"), f"cluster health: {dict(health)}"

        doc = {"@timestamp": "2026-01-01T00:00:00Z", "host": "it-host", "message": "canhgac smoke"}
        resp = es.index(index=index, id="1", document=doc, refresh=True)
        assert resp["result"] == "created", f"index response: {dict(resp)}"

        found = es.search(index=index, query={"match": {"message": "smoke"}})
        hits = found["hits"]["hits"]
        assert found["hits"]["total"]["value"] == 1, f"search response: {dict(found)}"
        assert hits[0]["_id"] == "1"
        assert hits[0]["_source"] == doc

        health = es.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
        assert health["status"] in ("yellow", "green"), f"index health: {dict(health)}"
    finally:
        es.options(ignore_status=404).indices.delete(index=index)
        es.close()
