"""Fixtures for the tests that need the real services of deploy/services/up.

Each test gets its own Kafka topics and consumer group and its own Elasticsearch index
prefix, and removes them afterwards. A missing service variable FAILS the test (never skips),
so a CI run that forgot to start the services cannot pass silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from canhgac.config import ElasticsearchStoreConfig, KafkaTransportConfig
from canhgac.store.elasticsearch.store import ElasticsearchStore
from ingest.transport.kafka.client import client_options
from ingest.transport.kafka.topics import ensure_topics

# Imported after ingest.transport.kafka, which loads kafka-python with its import-time
# deprecation warnings silenced.
from kafka import KafkaAdminClient  # isort: skip

HINT = "start the services with deploy/services/up and `source var/services/services.env`"


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"{name} is not set: {HINT}", pytrace=False)
    return value


@pytest.fixture
def es_url() -> str:
    return required_env("CANHGAC_TEST_ES_URL")


@pytest.fixture
def kafka_config() -> Iterator[KafkaTransportConfig]:
    unique = uuid.uuid4().hex[:10]
    config = KafkaTransportConfig(
        bootstrap_servers=[required_env("CANHGAC_TEST_KAFKA_BOOTSTRAP")],
        topic=f"cg-it-events-{unique}",
        dead_letter_topic=f"cg-it-dead-{unique}",
        group_id=f"cg-it-indexer-{unique}",
        partitions=3,
    )
    assert sorted(ensure_topics(config)) == sorted([config.topic, config.dead_letter_topic])
    yield config
    admin = KafkaAdminClient(**client_options(config))
    try:
        admin.delete_topics([config.topic, config.dead_letter_topic], timeout_ms=30_000)
    finally:
        admin.close()


@pytest.fixture
def es_store() -> Iterator[ElasticsearchStore]:
    config = ElasticsearchStoreConfig(
        hosts=[required_env("CANHGAC_TEST_ES_URL")],
        index_prefix=f"cg-it-{uuid.uuid4().hex[:10]}",
    )
    store = ElasticsearchStore(config)
    try:
        yield store
    finally:
        store.delete_indices()
        store.close()
