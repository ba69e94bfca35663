"""deploy/compose.yaml: parsed and checked (there is no Docker engine to run it here)."""

from __future__ import annotations

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


def test_kafka_is_three_kraft_nodes_agreeing_on_one_quorum(compose: dict[str, Any]) -> None:
    kafka = {
        name: service
        for name, service in _services(compose, "apache/kafka").items()
        if "KAFKA_NODE_ID" in service.get("environment", {})
    }
    assert len(kafka) == 3
    ids = {service["environment"]["KAFKA_NODE_ID"] for service in kafka.values()}
    assert ids == {1, 2, 3}
    voters = {
        service["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for service in kafka.values()
    }
    [quorum] = voters
    assert {
        f"{node}@{name}:9093"
        for name, s in kafka.items()
        for node in [s["environment"]["KAFKA_NODE_ID"]]
    } == set(quorum.split(","))
    for name, service in kafka.items():
        env = service["environment"]
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert f"INTERNAL://{name}:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert (
            env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3 and env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        )
        assert "EXTERNAL:SASL_SSL" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
        assert len({s["environment"]["CLUSTER_ID"] for s in kafka.values()}) == 1


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
            assert how == {"condition": "service_healthy"}, (name, needed)


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
