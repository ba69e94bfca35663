"""Google Chat: a space webhook message with a card (``cardsV2``).

Card text takes a small HTML subset, so every value is HTML-escaped
(:func:`~alerting.notify.markup.html_text`). The plain ``text`` beside the card (what a phone
notification shows) holds only the severity and the link: text messages read ``<users/all>``
as a mention and ``<url|label>`` as a link, and have no escape for them.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import html_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import GoogleChatChannelConfig


def chat_card(message: AlertMessage) -> dict[str, Any]:
    widgets: list[dict[str, Any]] = [
        {"decoratedText": {"topLabel": html_text(label), "text": html_text(value)}}
        for label, value in message.facts()
    ]
    if message.link:
        widgets.append(
            {
                "buttonList": {
                    "buttons": [
                        {
                            "text": message.labels["open"],
                            "onClick": {"openLink": {"url": message.link}},
                        }
                    ]
                }
            }
        )
    return {
        "cardId": f"canhgac-{message.alert_id}",
        "card": {
            "header": {
                "title": html_text(message.headline),
                "subtitle": f"Canh Gác — {message.labels['alert']} {html_text(message.alert_id)}",
            },
            "sections": [{"widgets": widgets}],
        },
    }


class GoogleChatChannel(HttpChannel[GoogleChatChannelConfig]):
    config_type = GoogleChatChannelConfig
    kind = "google_chat"
    takes_digests = False

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        text = f"🚨 [{message.severity.upper()}] Canh Gác"
        if message.link:
            text += f" — <{message.link}|{message.labels['open']}>"
        return {"text": text, "cardsV2": [chat_card(message)]}
