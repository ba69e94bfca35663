"""The channel registry is complete, channels are built by name, routing honours severity."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.notify.console import ConsoleChannel
from alerting.notify.mail import EmailChannel
from alerting.notify.registry import CHANNELS, build_channels
from alerting.notify.routing import channel_names, channels_for
from alerting.notify.webhook import WebhookChannel
from canhgac import config, config_channels
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


def test_each_channel_has_its_own_threshold_and_filters(make_alert: Callable[..., Alert]) -> None:
    alerting = _alerting(
        min_severity="low",
        channels=[
            {"type": "console"},
            {"type": "slack", "name": "pager", "url": "http://h/", "min_severity": "critical"},
            {"type": "discord", "name": "ssh", "url": "http://h/", "rules": ["ssh-*"]},
            {"type": "teams", "name": "attack", "url": "http://h/", "tags": ["attack.t1110*"]},
            {"type": "thehive", "name": "win", "url": "http://h", "api_key": "k"}
            | {"datasets": ["windows.*"]},
        ],
    )
    ssh = make_alert(severity=Severity.high, tags=["attack.t1110.001"])
    assert channels_for(ssh, alerting) == ["console", "ssh", "attack"]
    windows = make_alert(
        rule_id="win-new-service",
        severity=Severity.critical,
        snapshot={"event.dataset": "windows.system", "host.name": "ubnd-dc01"},
    )
    assert channels_for(windows, alerting) == ["console", "pager", "win"]
    assert channels_for(make_alert(severity=Severity.informational), alerting) == []


def test_a_host_group_takes_only_its_hosts_whatever_their_case(
    make_alert: Callable[..., Alert],
) -> None:
    alerting = _alerting(
        channels=[
            {"type": "slack", "name": "ecabinet", "url": "http://h/", "hosts": ["ECAB-*"]},
            {"type": "slack", "name": "all", "url": "http://h/"},
        ]
    )
    on = make_alert(snapshot={"host.name": "ecab-ws-017"})
    off = make_alert(snapshot={"host.name": "thue-db-01"})
    hostless = make_alert(snapshot={"source.ip": "203.0.113.9"})
    assert channels_for(on, alerting) == ["ecabinet", "all"]
    assert channels_for(off, alerting) == ["all"]
    assert channels_for(hostless, alerting) == ["all"]


def test_secrets_are_read_from_the_environment_files_and_the_secrets_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "teams-url").write_text("https://teams.example/hook?sig=S\n", encoding="utf-8")
    (tmp_path / "hive-key").write_text("HIVE", encoding="utf-8")
    monkeypatch.setenv("CANHGAC_TEST_TG_TOKEN", "123:ABC")
    monkeypatch.setenv("CANHGAC_SECRETS_DIR", str(tmp_path))
    alerting = _alerting(
        channels=[
            {"type": "telegram", "token": {"env": "CANHGAC_TEST_TG_TOKEN"}, "chat_id": "1"},
            {"type": "teams", "url": {"file": str(tmp_path / "teams-url")}},
            {"type": "thehive", "url": "http://h", "api_key": {"secret": "hive-key"}},
        ]
    )
    telegram, teams, hive = alerting.channels
    assert isinstance(telegram, config_channels.TelegramChannelConfig)
    assert telegram.token.get_secret_value() == "123:ABC"
    assert isinstance(teams, config_channels.TeamsChannelConfig)
    assert teams.url.get_secret_value() == "https://teams.example/hook?sig=S"
    assert isinstance(hive, config_channels.TheHiveChannelConfig)
    assert hive.api_key.get_secret_value() == "HIVE"
    assert "123:ABC" not in repr(alerting) and "HIVE" not in repr(alerting)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ({"env": "CANHGAC_TEST_UNSET_VARIABLE"}, "'CANHGAC_TEST_UNSET_VARIABLE' is not set"),
        ({"file": "/nonexistent/secret"}, "cannot read secret file '/nonexistent/secret'"),
        ({"vault": "x"}, "a secret is a string, {env: NAME}, {file: PATH} or {secret: NAME}"),
    ],
)
def test_a_missing_secret_is_refused_at_load(secret: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        _alerting(channels=[{"type": "slack", "url": secret}])
