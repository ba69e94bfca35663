"""Transport registry: config ``type`` -> the sending and receiving ends.

The Kafka transport is imported only when configured, so the embedded mode never loads
``kafka``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canhgac.config import KafkaTransportConfig, MemoryTransportConfig
from ingest.transport.base import Receiver, Sender
from ingest.transport.memory import MemoryTransport


def _memory(config: Any) -> tuple[Sender, Receiver]:
    assert isinstance(config, MemoryTransportConfig)
    transport = MemoryTransport(config.capacity)
    return transport, transport


def _kafka_sender(config: Any) -> Sender:
    from ingest.transport.kafka.sender import KafkaSender

    assert isinstance(config, KafkaTransportConfig)
    return KafkaSender(config)


def _kafka_receiver(config: Any) -> Receiver:
    from ingest.transport.kafka.receiver import KafkaReceiver

    assert isinstance(config, KafkaTransportConfig)
    return KafkaReceiver(config)


def _kafka_topics(config: Any) -> None:
    from ingest.transport.kafka.topics import ensure_topics

    assert isinstance(config, KafkaTransportConfig)
    ensure_topics(config)


#: In-process transports hand out both ends of one object; networked ones build each end
#: only in the role that needs it.
IN_PROCESS: dict[str, Callable[[Any], tuple[Sender, Receiver]]] = {"memory": _memory}
SENDERS: dict[str, Callable[[Any], Sender]] = {"kafka": _kafka_sender}
RECEIVERS: dict[str, Callable[[Any], Receiver]] = {"kafka": _kafka_receiver}
#: Networked transports set up what they need (topics) before either end starts.
TOPIC_SETUP: dict[str, Callable[[Any], None]] = {"kafka": _kafka_topics}
