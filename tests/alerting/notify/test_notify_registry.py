"""The channel registry is complete, channels are built by name, routing honours severity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerting.notify.console import ConsoleChannel
from alerting.notify.mail import EmailChannel
from alerting.notify.registry import CHANNELS, build_channels
from alerting.notify.routing import channel_names, channels_for
from alerting.notify.webhook import WebhookChannel
from canhgac import config
from canhgac.errors import ConfigError
from canhgac.models import Alert, Severity
from tests.support.registries import assert_builds_every_config_type


def test_every_channel_type_in_the_config_has_a_class_built_from_that_model() -> None:
    assert_builds_every_config_type(CHANNELS, config.ChannelConfig)
    assert len(CHANNELS.names()) >= 3


def _alerting(**data: Any) -> config.AlertingConfig:
    return config.AlertingConfig.model_validate(data)


def test_build_channels_keys_channels_by_name() -> None:
    alerting = _alerting(
        channels=[
            {"type": "console", "name": "stdout"},
            {"type": "webhook", "name": "soc-hook", "url": "https://soc.example/hook"},
            {"type": "email", "name": "soc-mail", "recipients": ["soc@hanoi.example"]},
        ]
    )
    built = build_channels(alerting)
    assert list(built) == ["stdout", "soc-hook", "soc-mail"]
    assert [type(channel) for channel in built.values()] == [
        ConsoleChannel,
        WebhookChannel,
        EmailChannel,
    ]
    assert [channel.max_attempts for channel in built.values()] == [None, 5, 5]


def test_duplicate_channel_names_are_a_config_error() -> None:
    alerting = _alerting(
        channels=[
            {"type": "console"},
            {"type": "webhook", "name": "console", "url": "http://127.0.0.1:1/x"},
        ]
    )
    with pytest.raises(ConfigError, match="repeated: console"):
        build_channels(alerting)
    with pytest.raises(ConfigError, match="repeated: console"):
        channel_names(alerting)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://host/x", "http://", "http://h:99999/"]
)
def test_webhook_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(ConfigError, match="webhook url must be http"):
        WebhookChannel(config.WebhookChannelConfig(url=url))


@pytest.mark.parametrize(
    ("severity", "minimum", "expected"),
    [
        ("informational", "low", []),
        ("low", "low", ["console", "hook"]),
        ("medium", "high", []),
        ("high", "high", ["console", "hook"]),
        ("critical", "informational", ["console", "hook"]),
    ],
)
def test_channels_for_applies_min_severity(
    make_alert: Callable[..., Alert], severity: str, minimum: str, expected: list[str]
) -> None:
    alerting = _alerting(
        min_severity=minimum,
        channels=[{"type": "console"}, {"type": "webhook", "name": "hook", "url": "http://h/"}],
    )
    assert channels_for(make_alert(severity=Severity(severity)), alerting) == expected
