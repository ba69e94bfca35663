"""deploy/collectors/*.yaml: each validates, and the scaled mode's TLS and authentication
settings (Kafka SASL/SCRAM + TLS, Elasticsearch API key or basic auth + CA file) are checked
the way the roles check them at start."""

from __future__ import annotations

import base64
from pathlib import Path

import certifi
import pytest

from canhgac.config import (
    ElasticsearchStoreConfig,
    FileSourceConfig,
    HttpSourceConfig,
    KafkaTransportConfig,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.config_loader import load_settings
from canhgac.errors import ConfigError
from canhgac.store.elasticsearch.client import client_from_config as es_client
from ingest.transport.kafka.client import client_options

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
EXAMPLES = {
    "portal-nginx.yaml": {(FileSourceConfig, "nginx")},
    "linux-server.yaml": {
        (FileSourceConfig, "auth"),
        (FileSourceConfig, "auditd"),
        (FileSourceConfig, "sysmon_linux"),
        (FileSourceConfig, "auto"),
    },
    "windows-dns.yaml": {(SyslogTcpSourceConfig, "windows_dns")},
    "network-devices.yaml": {
        (SyslogUdpSourceConfig, "syslog"),
        (SyslogTcpSourceConfig, "syslog"),
    },
    "fortigate.yaml": {(SyslogUdpSourceConfig, "fortigate"), (SyslogTcpSourceConfig, "fortigate")},
    "windows-http.yaml": {(HttpSourceConfig, "windows")},
    "squid-proxy.yaml": {(FileSourceConfig, "squid")},
    "dns-resolvers.yaml": {(FileSourceConfig, "bind"), (FileSourceConfig, "dnsmasq")},
    "zeek-sensor.yaml": {(FileSourceConfig, "zeek")},
    "opencanary.yaml": {(FileSourceConfig, "opencanary")},
    "kubernetes-audit.yaml": {(FileSourceConfig, "kubernetes_audit")},
    "public-cloud.yaml": {
        (FileSourceConfig, "cloudtrail"),
        (FileSourceConfig, "azure"),
        (FileSourceConfig, "gcp_audit"),
        (HttpSourceConfig, "cloudtrail"),
        (HttpSourceConfig, "azure"),
        (HttpSourceConfig, "o365"),
    },
    "asa-paloalto.yaml": {
        (SyslogTcpSourceConfig, "cisco_asa"),
        (SyslogTcpSourceConfig, "paloalto"),
    },
}


def test_every_example_is_listed_here() -> None:
    assert sorted(p.name for p in (DEPLOY / "collectors").glob("*.yaml")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_collector_example_validates_as_a_kafka_collector(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANHGAC_TRANSPORT__SASL_PASSWORD", "mật-khẩu-scram")
    settings = load_settings(DEPLOY / "collectors" / name)
    assert settings.roles == ["collect"]
    assert {(type(s), s.parser) for s in settings.sources} == EXAMPLES[name]
    assert len({s.name for s in settings.sources}) == len(settings.sources)
    transport = settings.transport
    assert isinstance(transport, KafkaTransportConfig)
    assert transport.security_protocol == "SASL_SSL"
    assert transport.sasl_mechanism == "SCRAM-SHA-512"
    # The password came from the environment, merged into the YAML's transport block.
    assert transport.sasl_password is not None
    assert transport.sasl_password.get_secret_value() == "mật-khẩu-scram"
    assert settings.metrics.enabled
    # What the collector checks at start, with the CA file where the example expects one.
    ca = tmp_path / "soc-ca.pem"
    ca.write_bytes(Path(certifi.where()).read_bytes())
    options = client_options(transport.model_copy(update={"ssl_cafile": str(ca)}))
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "canhgac-collector"
    assert options["sasl_plain_password"] == "mật-khẩu-scram"
    assert options["ssl_cafile"] == str(ca)


def _kafka(**values: object) -> KafkaTransportConfig:
    return KafkaTransportConfig.model_validate({"bootstrap_servers": ["k:9094"], **values})


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_username": "c",
            },
            "sasl_password: required",
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN",
                "sasl_username": "c",
                "sasl_password": "p",
            },
            "clear text",
        ),
        ({"security_protocol": "PLAINTEXT", "sasl_username": "c"}, "only used with SASL"),
        ({"security_protocol": "PLAINTEXT", "ssl_cafile": "/etc/ca.pem"}, "only used with SSL"),
        ({"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"}, "not a readable file"),
    ],
)
def test_kafka_security_settings_that_would_not_work_are_refused(
    values: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        client_options(_kafka(**values))


def test_elasticsearch_api_key_with_a_ca_file_builds_a_verifying_client() -> None:
    config = ElasticsearchStoreConfig.model_validate(
        {
            "hosts": ["https://es.soc.hanoi.gov.vn:9200"],
            "api_key": "aWQ6a2V5",
            "ca_file": certifi.where(),
        }
    )
    client = es_client(config)
    try:
        [node] = client.transport.node_pool.all()
        assert node.config.scheme == "https" and node.config.verify_certs
        assert node.config.ca_certs == certifi.where()
        assert client._headers["authorization"] == "ApiKey aWQ6a2V5"
    finally:
        client.close()


def test_elasticsearch_basic_auth_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config_file = tmp_path / "canhgac.yaml"
    config_file.write_text(
        "store:\n  type: elasticsearch\n  hosts: [https://es:9200]\n  username: canhgac_writer\n"
        f"  ca_file: {certifi.where()}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CANHGAC_STORE__PASSWORD", "bí-mật")
    store = load_settings(config_file).store
    assert isinstance(store, ElasticsearchStoreConfig)
    client = es_client(store)
    try:
        scheme, encoded = client._headers["authorization"].split()
        assert scheme == "Basic"
        assert base64.b64decode(encoded).decode("utf-8") == "canhgac_writer:bí-mật"
    finally:
        client.close()


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"api_key": "k", "username": "u", "password": "p"}, "either api_key or username"),
        ({"username": "u"}, "password: required"),
    ],
)
def test_elasticsearch_auth_settings_that_conflict_are_refused(
    values: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        es_client(ElasticsearchStoreConfig.model_validate(values))
