"""Kafka connection settings: security options are checked before any broker is contacted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from canhgac.config import KafkaTransportConfig
from canhgac.errors import ConfigError
from ingest.transport.kafka.client import client_options


def _config(**values: Any) -> KafkaTransportConfig:
    return KafkaTransportConfig(bootstrap_servers=["broker-1:9093", "broker-2:9093"], **values)


def test_plaintext_passes_only_the_brokers() -> None:
    assert client_options(_config()) == {
        "bootstrap_servers": ["broker-1:9093", "broker-2:9093"],
        "security_protocol": "PLAINTEXT",
        "metadata_max_age_ms": 10_000,
    }


def test_sasl_scram_over_tls_passes_everything_through(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    options = client_options(
        _config(
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username="canhgac",
            sasl_password=SecretStr("mật-khẩu"),
            ssl_cafile=str(ca),
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "canhgac"
    assert options["sasl_plain_password"] == "mật-khẩu"
    assert options["ssl_cafile"] == str(ca)


def test_the_password_is_not_shown_by_the_config() -> None:
    config = _config(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="canhgac",
        sasl_password=SecretStr("s3cret"),
    )
    assert "s3cret" not in repr(config) and "s3cret" not in str(config.model_dump())


@pytest.mark.parametrize(
    ("values", "problems"),
    [
        (
            {"security_protocol": "SASL_SSL"},
            ["sasl_mechanism: required", "sasl_username: required", "sasl_password: required"],
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN",
                "sasl_username": "u",
                "sasl_password": SecretStr("p"),
            },
            ["PLAIN over SASL_PLAINTEXT sends the password in clear text"],
        ),
        (
            {"sasl_mechanism": "SCRAM-SHA-256", "sasl_username": "u"},
            ["sasl_mechanism: only used with SASL", "sasl_username: only used with SASL"],
        ),
        ({"ssl_cafile": "/etc/ca.pem"}, ["ssl_cafile: only used with SSL or SASL_SSL"]),
        (
            {"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"},
            ["/nonexistent/ca.pem is not a readable file"],
        ),
        ({"topic": "bad topic!"}, ["transport.topic: 'bad topic!' is not a valid"]),
        ({"dead_letter_topic": "canhgac.events"}, ["must differ from transport.topic"]),
        ({"partitions": 0}, ["partitions: must be at least 1"]),
        ({"bootstrap_servers": []}, ["at least one broker is required"]),
    ],
)
def test_inconsistent_settings_are_reported_one_line_each(
    values: dict[str, Any], problems: list[str]
) -> None:
    config = KafkaTransportConfig(**{"bootstrap_servers": ["b:9092"], **values})
    with pytest.raises(ConfigError) as raised:
        client_options(config)
    lines = str(raised.value).splitlines()
    assert len(lines) == len(problems)
    for line, problem in zip(lines, problems, strict=True):
        assert problem in line


def test_scram_over_sasl_plaintext_is_allowed() -> None:
    # The password never crosses the wire with SCRAM; only the data is unencrypted.
    options = client_options(
        _config(
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-256",
            sasl_username="u",
            sasl_password=SecretStr("p"),
        )
    )
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert "ssl_cafile" not in options
