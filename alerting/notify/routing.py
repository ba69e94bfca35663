"""Which channels an alert goes to: the detection engine calls this when it enqueues.

Each channel has its own routing (:class:`~canhgac.config_channels.ChannelBase`): a severity
threshold (else ``alerting.min_severity``) and optional filters on the rule id, the rule's
tags, the event dataset and the host (a host group), each a list of shell patterns of which one
must match.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from alerting.notify.render import snapshot_value
from canhgac.config import AlertingConfig
from canhgac.config_channels import ChannelBase
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


def _any_match(values: Iterable[str], patterns: list[str]) -> bool:
    return any(fnmatchcase(value, pattern) for value in values for pattern in patterns)


def takes(channel: ChannelBase, alert: Alert, default_min_severity: str) -> bool:
    """Whether ``channel``'s routing lets ``alert`` through."""
    threshold = Severity(channel.min_severity or default_min_severity)
    if _RANK[alert.severity] < _RANK[threshold]:
        return False
    if channel.rules and not _any_match([alert.rule_id], channel.rules):
        return False
    if channel.tags and not _any_match(alert.tags, channel.tags):
        return False
    dataset = snapshot_value(alert, "event.dataset")
    if channel.datasets and not _any_match([dataset] if dataset else [], channel.datasets):
        return False
    # Host names are case-insensitive (DNS, NetBIOS): ECAB-WS-01 is ecab-ws-01.
    host = snapshot_value(alert, "host.name")
    hosts = [pattern.lower() for pattern in channel.hosts]
    return not hosts or _any_match([host.lower()] if host else [], hosts)


def channels_for(alert: Alert, config: AlertingConfig) -> list[str]:
    """The channels to enqueue ``alert`` for, in config order."""
    channel_names(config)  # rejects duplicate names
    return [
        channel.name for channel in config.channels if takes(channel, alert, config.min_severity)
    ]
