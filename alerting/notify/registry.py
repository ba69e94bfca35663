"""Channel classes by config ``type``, and building the configured channels by name."""

from __future__ import annotations

from alerting.notify.apprise_channel import AppriseChannel
from alerting.notify.cases.dfir_iris import DfirIrisChannel
from alerting.notify.cases.jira import JiraChannel
from alerting.notify.cases.thehive import TheHiveChannel
from alerting.notify.channel import Channel
from alerting.notify.chat.discord import DiscordChannel
from alerting.notify.chat.google_chat import GoogleChatChannel
from alerting.notify.chat.slack import MattermostChannel, SlackChannel
from alerting.notify.chat.teams import TeamsChannel
from alerting.notify.chat.telegram import TelegramChannel
from alerting.notify.chat.zalo import ZaloChannel
from alerting.notify.console import ConsoleChannel
from alerting.notify.mail import EmailChannel
from alerting.notify.message import AlertLinks
from alerting.notify.routing import channel_names
from alerting.notify.webhook import WebhookChannel
from canhgac.config import AlertingConfig
from canhgac.config_channels import (
    AppriseChannelConfig,
    ConsoleChannelConfig,
    DfirIrisChannelConfig,
    DiscordChannelConfig,
    EmailChannelConfig,
    GoogleChatChannelConfig,
    JiraChannelConfig,
    MattermostChannelConfig,
    SlackChannelConfig,
    TeamsChannelConfig,
    TelegramChannelConfig,
    TheHiveChannelConfig,
    WebhookChannelConfig,
    ZaloChannelConfig,
)
from canhgac.registry import Builder, Registry

#: Every channel ``type`` accepted by :class:`canhgac.config.AlertingConfig` has a class here;
#: each is built from its config and the links to the web UI.
CHANNELS: Registry[Builder[[AlertLinks], Channel]] = Registry(
    "channel",
    {
        "console": Builder(ConsoleChannelConfig, ConsoleChannel),
        "webhook": Builder(WebhookChannelConfig, WebhookChannel),
        "email": Builder(EmailChannelConfig, EmailChannel),
        "telegram": Builder(TelegramChannelConfig, TelegramChannel),
        "teams": Builder(TeamsChannelConfig, TeamsChannel),
        "slack": Builder(SlackChannelConfig, SlackChannel),
        "mattermost": Builder(MattermostChannelConfig, MattermostChannel),
        "discord": Builder(DiscordChannelConfig, DiscordChannel),
        "google_chat": Builder(GoogleChatChannelConfig, GoogleChatChannel),
        "apprise": Builder(AppriseChannelConfig, AppriseChannel),
        "zalo": Builder(ZaloChannelConfig, ZaloChannel),
        "thehive": Builder(TheHiveChannelConfig, TheHiveChannel),
        "dfir_iris": Builder(DfirIrisChannelConfig, DfirIrisChannel),
        "jira": Builder(JiraChannelConfig, JiraChannel),
    },
)


def build_channels(config: AlertingConfig, public_url: str | None = None) -> dict[str, Channel]:
    """The configured channels keyed by their ``name`` (the outbox's ``channel`` column);
    their messages link to ``{public_url}/alerts/{id}`` when the UI's address is known."""
    channel_names(config)  # rejects duplicate names before anything is built
    links = AlertLinks(public_url)
    return {channel.name: CHANNELS.get(channel.type)(channel, links) for channel in config.channels}
