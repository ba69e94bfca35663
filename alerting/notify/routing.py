"""Which channels an alert goes to: the detection engine calls this when it enqueues."""

from __future__ import annotations

from canhgac.config import AlertingConfig
from canhgac.errors import ConfigError
from canhgac.models import Alert, Severity

_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def channel_names(config: AlertingConfig) -> list[str]:
    """The configured channel names, in config order; duplicates are a config error because
    the name is the key of a notification row."""
    names = [channel.name for channel in config.channels]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(
            "alerting.channels: channel names must be unique; repeated: " + ", ".join(duplicates)
        )
    return names


def channels_for(alert: Alert, config: AlertingConfig) -> list[str]:
    """The channels to enqueue ``alert`` for: all of them at or above ``min_severity``."""
    if _RANK[alert.severity] < _RANK[Severity(config.min_severity)]:
        return []
    return channel_names(config)
