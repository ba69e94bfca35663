"""deploy/compose.yaml: parsed and checked (there is no Docker engine to run it here)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from canhgac.cli import app
from canhgac.config import HttpSourceConfig, KafkaTransportConfig
from canhgac.config_loader import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROLES = {"collect", "index", "detect", "web"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _services(compose: dict[str, Any], image_prefix: str) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith(image_prefix)
    }


def _properties(mount: str) -> dict[str, str]:
    """The properties file a compose volume mounts (``./compose/...:...``)."""
    text = (DEPLOY / mount.split(":")[0]).read_text(encoding="utf-8")
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


def test_kafka_is_three_kraft_nodes_agreeing_on_one_quorum(compose: dict[str, Any]) -> None:
    kafka = {
        name: _properties(mount)
        for name, service in _services(compose, "apache/kafka").items()
        for mount in service.get("volumes", [])
        if mount.endswith(":/mnt/shared/config/server.properties:ro")
    }
    assert set(kafka) == {"kafka-1", "kafka-2", "kafka-3"}
    assert {props["node.id"] for props in kafka.values()} == {"1", "2", "3"}
    [quorum] = {props["controller.quorum.voters"] for props in kafka.values()}
    assert set(quorum.split(",")) == {
        f"{props['node.id']}@{name}:9093" for name, props in kafka.items()
    }
    for name, props in kafka.items():
        assert set(props["process.roles"].split(",")) == {"broker", "controller"}
        assert f"INTERNAL://{name}:9092" in props["advertised.listeners"]
        assert props["default.replication.factor"] == "3"
        assert props["min.insync.replicas"] == "2"
        protocols = dict(x.split(":") for x in props["listener.security.protocol.map"].split(","))
        # TLS on every listener; SCRAM on the client ones, each with its JAAS entry (without
        # it Kafka refuses to start a SASL listener).
        assert set(protocols.values()) <= {"SSL", "SASL_SSL"}
        for listener, protocol in protocols.items():
            if protocol == "SASL_SSL":
                jaas = f"listener.name.{listener.lower()}.scram-sha-512.sasl.jaas.config"
                assert props[jaas].startswith("org.apache.kafka.common.security.scram."), jaas
            else:
                assert props[f"listener.name.{listener.lower()}.ssl.client.auth"] == "required"
        # Passwords are read from the secrets file, never written here.
        assert props["ssl.keystore.password"].startswith("${file:")
    ids = {
        s["environment"]["CLUSTER_ID"]
        for s in _services(compose, "apache/kafka").values()
        if "environment" in s
    }
    [cluster_id] = ids
    # kafka-storage wants a base64url UUID: 16 bytes, 22 characters unpadded.
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16 and len(cluster_id) == 22


def test_every_service_has_a_health_check_and_stateful_ones_named_volumes(
    compose: dict[str, Any],
) -> None:
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        if service.get("restart") == "no":
            continue  # one-shot setup jobs
        check = service.get("healthcheck", {}).get("test")
        assert check and check[0] in {"CMD", "CMD-SHELL"}, name
        named = {v.split(":")[0] for v in service.get("volumes", []) if not v.startswith(".")}
        assert named <= declared, (name, named - declared)
    for stateful in ("kafka-1", "kafka-2", "kafka-3", "elasticsearch", "collector", "web"):
        volumes = compose["services"][stateful]["volumes"]
        assert any(not v.startswith(".") for v in volumes), stateful


def test_dependencies_wait_for_healthy_services_that_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            one_shot = services[needed].get("restart") == "no"
            wanted = "service_completed_successfully" if one_shot else "service_healthy"
            assert how == {"condition": wanted}, (name, needed)


def test_every_role_runs_from_the_shared_config_hardened(compose: dict[str, Any]) -> None:
    roles = _services(compose, "canhgac:")
    commands = {service["command"][0] for service in roles.values()}
    assert commands == ROLES
    known = {command.name or command.callback.__name__ for command in app.registered_commands}  # type: ignore[union-attr]
    assert commands <= known
    config = DEPLOY / "compose" / "canhgac.yaml"
    settings = load_settings(config)
    for name, service in roles.items():
        assert service["command"][1:] == ["--config", "/etc/canhgac/canhgac.yaml"], name
        assert "./compose/canhgac.yaml:/etc/canhgac/canhgac.yaml:ro" in service["volumes"], name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        # The health check asks the role's own /healthz on the configured metrics port.
        assert f":{settings.metrics.port}/healthz" in " ".join(service["healthcheck"]["test"])
    assert settings.metrics.enabled and settings.metrics.host == "0.0.0.0"
    assert compose["services"]["indexer"]["deploy"]["replicas"] >= 2
    assert compose["services"]["detector"]["deploy"]["replicas"] >= 2


def test_the_shared_config_points_at_the_compose_services(compose: dict[str, Any]) -> None:
    settings = load_settings(DEPLOY / "compose" / "canhgac.yaml")
    assert isinstance(settings.transport, KafkaTransportConfig)
    hosts = {server.split(":")[0] for server in settings.transport.bootstrap_servers}
    assert hosts == {"kafka-1", "kafka-2", "kafka-3"} <= set(compose["services"])
    assert settings.store.type == "elasticsearch"
    assert [h.split("//")[1].split(":")[0] for h in settings.store.hosts] == ["elasticsearch"]
    assert settings.store.ca_file == "/etc/canhgac/certs/ca.crt"
    assert settings.transport.partitions >= compose["services"]["indexer"]["deploy"]["replicas"]
    # Secrets never sit in the committed files.
    assert settings.store.api_key is None and settings.store.password is None
    example = (DEPLOY / "compose" / "secrets.env.example").read_text(encoding="utf-8")
    assert "CANHGAC_STORE__API_KEY=\n" in example


def test_http_ingest_takes_only_senders_with_a_token_on_the_internal_address(
    compose: dict[str, Any],
) -> None:
    settings = load_settings(DEPLOY / "compose" / "canhgac.yaml")
    http_ports = {
        source.port for source in settings.sources if isinstance(source, HttpSourceConfig)
    }
    assert http_ports, "the compose config has an HTTP source"
    secrets = compose.get("secrets", {})
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            *host, published, target = str(mapping).split(":")
            if int(target.split("/")[0]) not in http_ports:
                continue
            # Published on one chosen (internal) address, never on every interface.
            assert host and host[0] not in ("", "0.0.0.0", "::", "[::]"), (name, mapping)
    for source in settings.sources:
        if not isinstance(source, HttpSourceConfig):
            continue
        assert source.tokens and source.token is None, source.name
        collector = compose["services"]["collector"]
        for token in source.tokens:
            assert token.secret is None and token.secret_file is not None, token.name
            secret = token.secret_file.removeprefix("/run/secrets/")
            assert secret in collector["secrets"] and secret in secrets, token.name
            assert not secrets[secret]["file"].endswith(".example"), secret
