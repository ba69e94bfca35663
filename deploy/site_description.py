"""The one description of the services a Canh Gác site runs: Kafka in KRaft mode (three nodes,
each broker and controller, TLS on every listener, SASL/SCRAM for clients) and Elasticsearch
with security on. `render_site.py` turns it into compose.yaml, the systemd host files and the
test services' configs; `tests/deploy` checks the committed files equal a fresh render, and the
integration test starts the same properties on loopback ports.

Plain data and functions, stdlib only, so the deploy tools run without the canhgac package.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The versions deploy/services runs in CI (Maven Central), so the images match what is tested.
KAFKA_VERSION = "4.3.1"
ELASTICSEARCH_VERSION = "9.5.2"

#: `kafka-storage random-uuid` format: 16 bytes, base64url without padding (22 characters).
CLUSTER_ID = "ahwrfg89TFmajkix08Dlpw"

SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192
#: Kafka refuses to start a SASL listener without a JAAS entry; SCRAM's login module needs no
#: options on the broker (the credentials live in the cluster metadata).
SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


@dataclass(frozen=True)
class Listener:
    name: str
    protocol: str
    #: Certificates both ways (the peer is another node, or the admin bootstrapping SCRAM).
    client_certificates: bool
    purpose: str


LISTENERS: tuple[Listener, ...] = (
    Listener("CONTROLLER", "SSL", True, "KRaft quorum between the three nodes"),
    Listener("BROKER", "SSL", True, "replication between brokers; SCRAM account setup"),
    Listener("INTERNAL", "SASL_SSL", False, "the canhgac roles on the SOC network"),
    Listener("EXTERNAL", "SASL_SSL", False, "collectors on city hosts"),
)
INTER_BROKER_LISTENER = "BROKER"
CONTROLLER_LISTENER = "CONTROLLER"

#: SCRAM accounts: the roles on the SOC network, and the city-host collectors.
SCRAM_USERS: tuple[str, ...] = ("canhgac-roles", "canhgac-collector")

#: Replication: any one node may be lost (or restarted) without refusing a write.
REPLICATION: Mapping[str, str] = {
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "share.coordinator.state.topic.replication.factor": "3",
    "share.coordinator.state.topic.min.isr": "2",
    "unclean.leader.election.enable": "false",
    # Topics are made by `canhgac` (transport.partitions), never by a typo in a client.
    "auto.create.topics.enable": "false",
    # A week of backlog if Elasticsearch is down.
    "log.retention.hours": "168",
}


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    #: Listener name -> (bind host, port, advertised host). CONTROLLER is not advertised.
    endpoints: Mapping[str, tuple[str, int, str]]


@dataclass(frozen=True)
class KafkaFiles:
    """Where a node finds its files (differs between a container, a host and a test)."""

    data_dir: str
    keystore: str  # PKCS12: the node's key and certificate chain
    truststore: str  # PEM: the city CA
    secrets: str  # properties file with ssl.keystore.password (read by FileConfigProvider)


def cluster_id_bytes(cluster_id: str = CLUSTER_ID) -> bytes:
    return base64.urlsafe_b64decode(cluster_id + "=" * (-len(cluster_id) % 4))


def quorum_voters(nodes: Sequence[KafkaNode]) -> str:
    return ",".join(
        f"{n.node_id}@{n.endpoints[CONTROLLER_LISTENER][2]}:{n.endpoints[CONTROLLER_LISTENER][1]}"
        for n in nodes
    )


def _secret(files: KafkaFiles, key: str) -> str:
    return "${file:" + files.secrets + ":" + key + "}"


def kafka_properties(
    node: KafkaNode, nodes: Sequence[KafkaNode], files: KafkaFiles
) -> dict[str, str]:
    """The complete server.properties of ``node`` (broker and controller in one process)."""
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": quorum_voters(nodes),
        "listeners": ",".join(
            f"{name}://{bind}:{port}" for name, (bind, port, _) in node.endpoints.items()
        ),
        "advertised.listeners": ",".join(
            f"{name}://{host}:{port}"
            for name, (_, port, host) in node.endpoints.items()
            if name != CONTROLLER_LISTENER
        ),
        "listener.security.protocol.map": ",".join(f"{x.name}:{x.protocol}" for x in LISTENERS),
        "controller.listener.names": CONTROLLER_LISTENER,
        "inter.broker.listener.name": INTER_BROKER_LISTENER,
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "log.dirs": files.data_dir,
        # Passwords stay out of this file: Kafka reads them from the secrets file.
        "config.providers": "file",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": files.keystore,
        "ssl.keystore.password": _secret(files, "ssl.keystore.password"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": files.truststore,
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.enabled.protocols": "TLSv1.3,TLSv1.2",
    }
    for listener in LISTENERS:
        prefix = f"listener.name.{listener.name.lower()}"
        if listener.client_certificates:
            props[f"{prefix}.ssl.client.auth"] = "required"
        if listener.protocol.startswith("SASL_"):
            props[f"{prefix}.sasl.enabled.mechanisms"] = SCRAM_MECHANISM
            props[f"{prefix}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config"] = SCRAM_JAAS
    props.update(REPLICATION)
    return props


def admin_properties(files: KafkaFiles) -> dict[str, str]:
    """An admin client on the BROKER listener, authenticated by the node's certificate (the
    only way in before any SCRAM account exists)."""
    return {
        "security.protocol": "SSL",
        "config.providers": "file",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": files.keystore,
        "ssl.keystore.password": _secret(files, "ssl.keystore.password"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": files.truststore,
    }


def scram_credential(password: str) -> str:
    """The value of kafka-configs' --add-config for one SCRAM account."""
    return f"{SCRAM_MECHANISM}=[iterations={SCRAM_ITERATIONS},password={password}]"


def properties_text(props: Mapping[str, str], header: str) -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


# --- Elasticsearch ---------------------------------------------------------------------------
#: elasticsearch.yml of the single node: security on, TLS on HTTP, API keys for canhgac.
ELASTICSEARCH: Mapping[str, str] = {
    "discovery.type": "single-node",
    "xpack.security.enabled": "true",
    "xpack.security.authc.api_key.enabled": "true",
    "xpack.security.http.ssl.enabled": "true",
    "xpack.security.http.ssl.certificate": "certs/elasticsearch.crt",
    "xpack.security.http.ssl.key": "certs/elasticsearch.key",
    "xpack.security.http.ssl.certificate_authorities": "certs/ca.crt",
    # The node's own transport: one node, but TLS anyway so a second node cannot join in clear.
    "xpack.security.transport.ssl.enabled": "true",
    "xpack.security.transport.ssl.verification_mode": "certificate",
    "xpack.security.transport.ssl.certificate": "certs/elasticsearch.crt",
    "xpack.security.transport.ssl.key": "certs/elasticsearch.key",
    "xpack.security.transport.ssl.certificate_authorities": "certs/ca.crt",
}

#: The canhgac roles' privileges (deploy/elasticsearch.md, plus read-only `monitor`): given to
#: its API key in production, and to a file-realm role where the node cannot make API keys (the
#: test distribution).
CANHGAC_ROLE: Mapping[str, object] = {
    "cluster": ["monitor", "manage_index_templates"],
    "indices": [
        {
            "names": ["canhgac-*"],
            "privileges": ["create_index", "write", "read", "view_index_metadata"],
        }
    ],
}
