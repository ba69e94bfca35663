"""Slack and Mattermost incoming webhooks: one ``text`` message.

Slack reads ``text`` as mrkdwn: ``&``, ``<`` and ``>`` must be entities (which also disarms
``<!channel>`` pings and ``<url|label>`` links), see :func:`~alerting.notify.markup.slack_text`.
Mattermost reads it as Markdown and pings on ``@channel``/``@all``/``@here``: its values go
through :func:`~alerting.notify.markup.markdown_text`.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import markdown_text, slack_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import MattermostChannelConfig, SlackChannelConfig


def slack_message(message: AlertMessage) -> str:
    lines = [f":rotating_light: *{slack_text(message.headline)}*"]
    lines += [f"{slack_text(label)}: `{slack_text(value)}`" for label, value in message.facts()]
    if message.link:
        lines.append(f"<{message.link}|{message.labels['open']}>")
    return "\n".join(lines)


def mattermost_message(message: AlertMessage) -> str:
    lines = [f"#### :rotating_light: {markdown_text(message.headline)}"]
    lines += [
        f"- {markdown_text(label)}: {markdown_text(value)}" for label, value in message.facts()
    ]
    if message.link:
        lines.append(f"[{message.labels['open']}]({message.link})")
    return "\n".join(lines)


class SlackChannel(HttpChannel[SlackChannelConfig]):
    config_type = SlackChannelConfig
    kind = "slack"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {"text": slack_message(message)}


class MattermostChannel(HttpChannel[MattermostChannelConfig]):
    config_type = MattermostChannelConfig
    kind = "mattermost"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"text": mattermost_message(message)}
        if self.config.channel:
            body["channel"] = self.config.channel
        if self.config.username:
            body["username"] = self.config.username
        return body
