"""Kafka topic setup: the events and dead-letter topics, created once at deployment."""

from __future__ import annotations

import kafka.errors
from kafka import KafkaAdminClient

from canhgac.config import KafkaTransportConfig
from canhgac.errors import TransportError
from ingest.transport.kafka.client import client_options, kafka_errors

_TOPIC_EXISTS = kafka.errors.TopicAlreadyExistsError.errno


def ensure_topics(config: KafkaTransportConfig, *, timeout: float = 30.0) -> list[str]:
    """Create the events and dead-letter topics if missing; returns the ones created.

    Idempotent. An existing topic is left as it is, even with fewer partitions than
    configured: adding partitions moves keys to other partitions, which breaks per-host
    order for a while, so that stays an operator's decision. Replication follows the
    brokers' ``default.replication.factor``.
    """
    options = client_options(config)
    wanted = {config.topic: config.partitions, config.dead_letter_topic: config.partitions}
    with kafka_errors("creating topics"):
        admin = KafkaAdminClient(**options, client_id="canhgac-admin")
        try:
            response = admin.create_topics(
                {name: {"num_partitions": count} for name, count in wanted.items()},
                timeout_ms=int(timeout * 1000),
                raise_errors=False,
            )
            created: list[str] = []
            for topic in response["topics"]:
                code = topic["error_code"]
                if code == 0:
                    created.append(topic["name"])
                elif code != _TOPIC_EXISTS:
                    error = kafka.errors.for_code(code)
                    raise TransportError(
                        f"Kafka: cannot create topic {topic['name']}: {error.__name__}"
                        f" {topic.get('error_message') or ''}".rstrip()
                    )
            admin.wait_for_topics(list(wanted), timeout_ms=int(timeout * 1000))
        finally:
            admin.close()
    return created
