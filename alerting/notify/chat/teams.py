"""Microsoft Teams: an Adaptive Card posted to a channel's Workflows webhook.

The Workflows ("Post to a channel when a webhook request is received") trigger takes a
``message`` whose one attachment is the card (``contentType``
``application/vnd.microsoft.card.adaptive``). TextBlock and FactSet text is Markdown, so each
value goes through :func:`~alerting.notify.markup.markdown_text`; the link is an
``Action.OpenUrl`` button.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import markdown_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import TeamsChannelConfig
from canhgac.models import Severity

_ATTENTION = {Severity.high, Severity.critical}


def adaptive_card(message: AlertMessage) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": markdown_text(message.headline),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": "Attention" if message.severity in _ATTENTION else "Warning",
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": markdown_text(label), "value": markdown_text(value)}
                    for label, value in message.facts()
                ],
            },
        ],
    }
    if message.link:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": message.labels["open"], "url": message.link}
        ]
    return card


class TeamsChannel(HttpChannel[TeamsChannelConfig]):
    config_type = TeamsChannelConfig
    kind = "teams"
    takes_digests = False

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": adaptive_card(message),
                }
            ],
        }
