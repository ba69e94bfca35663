"""Discord: an execute-webhook request with ``content`` in Discord's Markdown.

The content is the channel's template in the ``markdown`` markup: values Markdown-escaped with
mass mentions broken (:func:`~alerting.notify.markup.markdown_text`), and
``allowed_mentions: {"parse": []}`` tells Discord to ping nobody whatever the text says.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.digest import Digest
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage
from alerting.notify.render import shorten
from canhgac.config_channels import DiscordChannelConfig

#: Discord refuses ``content`` longer than this.
MAX_CONTENT = 2000


def discord_body(text: str) -> dict[str, Any]:
    return {"content": shorten(text, MAX_CONTENT), "allowed_mentions": {"parse": []}}


class DiscordChannel(HttpChannel[DiscordChannelConfig]):
    config_type = DiscordChannelConfig
    kind = "discord"
    markup = "markdown"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return discord_body(self.alert_text(message))

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return discord_body(self.digest_text(digest))
