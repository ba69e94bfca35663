"""Slack and Mattermost incoming webhooks: one ``text`` message, from the channel's template.

Slack reads ``text`` as mrkdwn: ``&``, ``<`` and ``>`` must be entities (which also disarms
``<!channel>`` pings and ``<url|label>`` links): the ``slack`` markup
(:func:`~alerting.notify.markup.slack_text`). Mattermost reads it as Markdown and pings on
``@channel``/``@all``/``@here``: the ``markdown`` markup
(:func:`~alerting.notify.markup.markdown_text`).
"""

from __future__ import annotations

from typing import Any

from alerting.notify.digest import Digest
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage
from canhgac.config_channels import MattermostChannelConfig, SlackChannelConfig


class SlackChannel(HttpChannel[SlackChannelConfig]):
    config_type = SlackChannelConfig
    kind = "slack"
    markup = "slack"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {"text": self.alert_text(message)}

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return {"text": self.digest_text(digest)}


class MattermostChannel(HttpChannel[MattermostChannelConfig]):
    config_type = MattermostChannelConfig
    kind = "mattermost"
    markup = "markdown"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def _body(self, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if self.config.channel:
            body["channel"] = self.config.channel
        if self.config.username:
            body["username"] = self.config.username
        return body

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return self._body(self.alert_text(message))

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return self._body(self.digest_text(digest))
