"""Channel classes by config ``type``, and building the configured channels by name."""

from __future__ import annotations

from alerting.notify.channel import Channel
from alerting.notify.console import ConsoleChannel
from alerting.notify.mail import EmailChannel
from alerting.notify.routing import channel_names
from alerting.notify.webhook import WebhookChannel
from canhgac.config import (
    AlertingConfig,
    ConsoleChannelConfig,
    EmailChannelConfig,
    WebhookChannelConfig,
)
from canhgac.registry import Builder, Registry

#: Every channel ``type`` accepted by :class:`canhgac.config.AlertingConfig` has a class here.
CHANNELS: Registry[Builder[[], Channel]] = Registry(
    "channel",
    {
        "console": Builder(ConsoleChannelConfig, ConsoleChannel),
        "webhook": Builder(WebhookChannelConfig, WebhookChannel),
        "email": Builder(EmailChannelConfig, EmailChannel),
    },
)


def build_channels(config: AlertingConfig) -> dict[str, Channel]:
    """The configured channels keyed by their ``name`` (the outbox's ``channel`` column)."""
    channel_names(config)  # rejects duplicate names before anything is built
    return {channel.name: CHANNELS.get(channel.type)(channel) for channel in config.channels}
