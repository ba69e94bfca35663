"""Discord: an execute-webhook request with ``content`` in Discord's Markdown.

Values are Markdown-escaped with mass mentions broken
(:func:`~alerting.notify.markup.discord_text`), and ``allowed_mentions: {"parse": []}`` tells
Discord to ping nobody whatever the text says.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import discord_text
from alerting.notify.message import AlertMessage
from alerting.notify.render import shorten
from canhgac.config_channels import DiscordChannelConfig

#: Discord refuses ``content`` longer than this.
MAX_CONTENT = 2000


def discord_content(message: AlertMessage) -> str:
    lines = [f":rotating_light: **{discord_text(message.headline)}**"]
    lines += [f"{discord_text(label)}: {discord_text(value)}" for label, value in message.facts()]
    if message.link:
        # The angle brackets keep Discord from unfurling a preview of the UI's login page.
        lines.append(f"[{message.labels['open']}](<{message.link}>)")
    return shorten("\n".join(lines), MAX_CONTENT)


class DiscordChannel(HttpChannel[DiscordChannelConfig]):
    config_type = DiscordChannelConfig
    kind = "discord"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {"content": discord_content(message), "allowed_mentions": {"parse": []}}
