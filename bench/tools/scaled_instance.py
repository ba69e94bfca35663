"""The scaled deployment for a soak: `canhgac collect` -> Kafka -> `canhgac index` (one or more,
one consumer group) -> Elasticsearch -> `canhgac detect`, one process per role, on the
services of deploy/services (their addresses from var/services/services.env, as the
integration tests read them: CANHGAC_TEST_KAFKA_BOOTSTRAP, CANHGAC_TEST_ES_URL).

Each soak has its own topics, consumer group and index prefix (``cg-soak-<random>``), so it
never meets a test's; :meth:`ScaledInstance.remove_data` deletes them afterwards. Events stored
are counted in Elasticsearch (what a search can see), not from the indexers' counters.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from dataclasses import dataclass

from canhgac.config import ElasticsearchStoreConfig, KafkaTransportConfig
from canhgac.store.base import Store
from canhgac.store.elasticsearch.store import ElasticsearchStore
from ingest.transport.kafka.client import client_options
from tests.support.city_traffic import free_port

from .instance import DROPPED, Instance, RoleProcess

from kafka import KafkaAdminClient  # isort: skip  (after ingest.transport.kafka: its warnings)

KAFKA_ENV = "CANHGAC_TEST_KAFKA_BOOTSTRAP"
ES_ENV = "CANHGAC_TEST_ES_URL"
PARTITIONS = 3


def service_addresses() -> tuple[str, str]:
    """(Kafka bootstrap, Elasticsearch URL) of deploy/services, from the environment."""
    kafka, es = os.environ.get(KAFKA_ENV, "").strip(), os.environ.get(ES_ENV, "").strip()
    if not kafka or not es:
        raise SystemExit(
            f"{KAFKA_ENV} and {ES_ENV} are not set: run deploy/services/up and "
            "`source var/services/services.env` first"
        )
    return kafka, es


@dataclass
class ScaledInstance(Instance):
    indexers: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        bootstrap, self.es_url = service_addresses()
        unique = uuid.uuid4().hex[:10]
        self.kafka = KafkaTransportConfig(
            bootstrap_servers=[bootstrap],
            topic=f"cg-soak-events-{unique}",
            dead_letter_topic=f"cg-soak-dead-{unique}",
            group_id=f"cg-soak-indexer-{unique}",
            partitions=PARTITIONS,
        )
        self.store_config = ElasticsearchStoreConfig(
            hosts=[self.es_url], index_prefix=f"cg-soak-{unique}"
        )

    def describe(self) -> str:
        return (
            f"scaled: 1 collector -> Kafka ({self.kafka.topic}, {PARTITIONS} partitions) -> "
            f"{self.indexers} indexer(s) -> Elasticsearch ({self.store_config.index_prefix}) "
            "-> 1 detector, one process each"
        )

    def plan_roles(self) -> list[RoleProcess]:
        detect = self._role("detect", "detector")
        index = [self._role("index", f"indexer-{n}") for n in range(1, self.indexers + 1)]
        collect = self._role("collect", "collector", (self.http_port,))
        return [detect, *index, collect]

    def _role(self, command: str, name: str, health: tuple[int, ...] = ()) -> RoleProcess:
        """Every role gets the same settings (as ops would copy one file), its own data
        folder and metrics port."""
        data_dir, port = self.workdir / name, free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        config = data_dir / "canhgac.yaml"
        kafka = self.kafka
        config.write_text(
            f"""
data_dir: {data_dir}
{self.sources}
transport:
  type: kafka
  bootstrap_servers: {json.dumps(kafka.bootstrap_servers)}
  topic: {kafka.topic}
  dead_letter_topic: {kafka.dead_letter_topic}
  group_id: {kafka.group_id}
  partitions: {kafka.partitions}
store:
  type: elasticsearch
  hosts: {json.dumps(self.store_config.hosts)}
  index_prefix: {self.store_config.index_prefix}
{self.detection}
web: {{enabled: false}}
metrics: {{enabled: true, port: {port}}}
demo: {{mode: "off"}}
""",
            encoding="utf-8",
        )
        return RoleProcess(command, config, port, health)

    def open_store(self) -> Store:
        return ElasticsearchStore(self.store_config)

    def counts(self, store: Store) -> tuple[int, int, int]:
        dropped = int(self.metrics().get(DROPPED, 0))
        return store.count_events(), store.count_dead_letters(), dropped

    def disk_bytes(self) -> int:
        """The primary store size of the soak's indices (replicas would double it)."""
        url = f"{self.es_url}/{self.store_config.index_prefix}*/_stats/store"
        with urllib.request.urlopen(url, timeout=30) as response:
            stats = json.loads(response.read())
        return int(stats["_all"]["primaries"].get("store", {}).get("size_in_bytes", 0))

    def remove_data(self) -> None:
        """Delete the soak's indices and topics."""
        store = ElasticsearchStore(self.store_config)
        try:
            store.delete_indices()
        finally:
            store.close()
        admin = KafkaAdminClient(**client_options(self.kafka))
        try:
            admin.delete_topics([self.kafka.topic, self.kafka.dead_letter_topic], timeout_ms=30_000)
        finally:
            admin.close()
