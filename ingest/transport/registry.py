"""Transport registry: config ``type`` -> the sending and receiving ends.

The Kafka transport is imported only when configured, so the embedded mode never loads
``kafka``.
"""

from __future__ import annotations

from canhgac.config import KafkaTransportConfig, MemoryTransportConfig
from canhgac.registry import Builder, Registry
from ingest.transport.base import Receiver, Sender
from ingest.transport.memory import MemoryTransport


def _memory(config: MemoryTransportConfig) -> tuple[Sender, Receiver]:
    transport = MemoryTransport(config.capacity)
    return transport, transport


def _kafka_sender(config: KafkaTransportConfig) -> Sender:
    from ingest.transport.kafka.sender import KafkaSender

    return KafkaSender(config)


def _kafka_receiver(config: KafkaTransportConfig) -> Receiver:
    from ingest.transport.kafka.receiver import KafkaReceiver

    return KafkaReceiver(config)


def _kafka_topics(config: KafkaTransportConfig) -> None:
    from ingest.transport.kafka.topics import ensure_topics

    ensure_topics(config)


#: In-process transports hand out both ends of one object; networked ones build each end
#: only in the role that needs it.
IN_PROCESS: Registry[Builder[[], tuple[Sender, Receiver]]] = Registry(
    "in-process transport", {"memory": Builder(MemoryTransportConfig, _memory)}
)
SENDERS: Registry[Builder[[], Sender]] = Registry(
    "networked transport", {"kafka": Builder(KafkaTransportConfig, _kafka_sender)}
)
RECEIVERS: Registry[Builder[[], Receiver]] = Registry(
    "networked transport", {"kafka": Builder(KafkaTransportConfig, _kafka_receiver)}
)
#: Networked transports set up what they need (topics) before either end starts.
TOPIC_SETUP: Registry[Builder[[], None]] = Registry(
    "networked transport", {"kafka": Builder(KafkaTransportConfig, _kafka_topics)}
)
