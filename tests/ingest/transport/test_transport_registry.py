"""Every transport type the configuration accepts is either in-process (both ends from one
builder) or networked (a sender, a receiver and a topic setup), each built from its model."""

from __future__ import annotations

from canhgac.config import MemoryTransportConfig, TransportConfig
from ingest.transport.memory import MemoryTransport
from ingest.transport.registry import IN_PROCESS, RECEIVERS, SENDERS, TOPIC_SETUP
from tests.support.registries import config_models


def test_every_configured_transport_type_is_registered_once_with_its_model() -> None:
    models = config_models(TransportConfig)
    networked = SENDERS.names()
    assert RECEIVERS.names() == TOPIC_SETUP.names() == networked
    assert sorted([*IN_PROCESS.names(), *networked]) == sorted(models)
    assert not set(IN_PROCESS.names()) & set(networked)
    for registry in (IN_PROCESS, SENDERS, RECEIVERS, TOPIC_SETUP):
        for name, builder in registry.items():
            assert builder.config_type is models[name]


def test_the_memory_transport_hands_out_both_ends_of_one_queue() -> None:
    sender, receiver = IN_PROCESS.get("memory")(MemoryTransportConfig(capacity=3))
    assert sender is receiver and isinstance(sender, MemoryTransport)
