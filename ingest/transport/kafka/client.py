"""The kafka-python client's connection options (checked) and the translation of its errors:
no ``kafka`` exception leaves this package untranslated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kafka.errors

from canhgac.config import KafkaTransportConfig
from canhgac.errors import ConfigError, TransportError

_TOPIC = re.compile(r"^[A-Za-z0-9._\-]{1,249}$")


# How old a client's view of the cluster (who leads which partition) may get before it asks
# again. kafka-python's default is 5 minutes: after a broker died, an indexer kept fetching a
# partition from the dead broker for minutes although the cluster had elected a new leader 7 s
# after the kill (tests/deploy/test_site_starts.py, twice under the full suite).
METADATA_MAX_AGE_MS = 10_000


def client_options(config: KafkaTransportConfig) -> dict[str, Any]:
    """The kafka-python connection and security options, after checking they make sense
    together (a setting that would be silently ignored is an error, not a surprise)."""
    problems: list[str] = []
    if not config.bootstrap_servers:
        problems.append("transport.bootstrap_servers: at least one broker is required")
    for name, topic in (("topic", config.topic), ("dead_letter_topic", config.dead_letter_topic)):
        if not _TOPIC.match(topic):
            problems.append(f"transport.{name}: {topic!r} is not a valid Kafka topic name")
    if config.topic == config.dead_letter_topic:
        problems.append("transport.dead_letter_topic: must differ from transport.topic")
    if config.partitions < 1:
        problems.append("transport.partitions: must be at least 1")
    problems += _security_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    options: dict[str, Any] = {
        "bootstrap_servers": list(config.bootstrap_servers),
        "security_protocol": config.security_protocol,
        "metadata_max_age_ms": METADATA_MAX_AGE_MS,
    }
    if config.security_protocol.startswith("SASL_"):
        assert config.sasl_password is not None  # checked above
        options.update(
            sasl_mechanism=config.sasl_mechanism,
            sasl_plain_username=config.sasl_username,
            sasl_plain_password=config.sasl_password.get_secret_value(),
        )
    if config.ssl_cafile:
        options["ssl_cafile"] = config.ssl_cafile
    return options


def _security_problems(config: KafkaTransportConfig) -> list[str]:
    protocol = config.security_protocol
    sasl = protocol.startswith("SASL_")
    tls = protocol.endswith("SSL")
    problems: list[str] = []
    given = {
        "sasl_mechanism": config.sasl_mechanism,
        "sasl_username": config.sasl_username,
        "sasl_password": config.sasl_password,
    }
    if sasl:
        problems += [f"transport.{k}: required with {protocol}" for k, v in given.items() if not v]
        if config.sasl_mechanism == "PLAIN" and not tls:
            problems.append(
                "transport.sasl_mechanism: PLAIN over SASL_PLAINTEXT sends the password in"
                " clear text; use SASL_SSL or a SCRAM mechanism"
            )
    else:
        problems += [
            f"transport.{k}: only used with SASL_PLAINTEXT or SASL_SSL, not {protocol}"
            for k, v in given.items()
            if v
        ]
    if config.ssl_cafile:
        if not tls:
            problems.append(f"transport.ssl_cafile: only used with SSL or SASL_SSL, not {protocol}")
        elif not Path(config.ssl_cafile).is_file():
            problems.append(f"transport.ssl_cafile: {config.ssl_cafile} is not a readable file")
    return problems


def translate(action: str, exc: BaseException) -> TransportError:
    if isinstance(exc, kafka.errors.KafkaConnectionError):
        return TransportError(f"Kafka {action}: cannot reach a broker: {exc}")
    if isinstance(exc, kafka.errors.KafkaTimeoutError):
        return TransportError(f"Kafka {action}: timed out: {exc}")
    return TransportError(f"Kafka {action}: {type(exc).__name__}: {exc}")


@contextmanager
def kafka_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (kafka.errors.KafkaError, OSError) as exc:
        raise translate(action, exc) from exc
