"""Google Chat: a space webhook message with a card (``cardsV2``).

The card's text is the channel's template (alert or digest) in the ``chat_card`` markup: card
text takes a small HTML subset, so every value is HTML-escaped
(:func:`~alerting.notify.markup.html_text`) and the template's line breaks become ``<br>``.
The card's header holds only our own words. The plain ``text`` beside the card (what a phone
notification shows) holds only the severity and the link: text messages read ``<users/all>``
as a mention and ``<url|label>`` as a link, and have no escape for them.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.digest import DIGEST_TITLE, Digest
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage
from canhgac.config_channels import GoogleChatChannelConfig

PRODUCT = "Canh Gác"


def chat_card(
    card_id: str,
    header: dict[str, str],
    text: str,
    link: str | None = None,
    link_label: str = "",
) -> dict[str, Any]:
    """A card of ``text`` (already in the ``chat_card`` markup) under ``header`` (``title``
    and ``subtitle``: our words only), with ``link`` as a button."""
    widgets: list[dict[str, Any]] = [{"textParagraph": {"text": "<br>".join(text.splitlines())}}]
    if link:
        button = {"text": link_label, "onClick": {"openLink": {"url": link}}}
        widgets.append({"buttonList": {"buttons": [button]}})
    return {"cardId": card_id, "card": {"header": header, "sections": [{"widgets": widgets}]}}


class GoogleChatChannel(HttpChannel[GoogleChatChannelConfig]):
    config_type = GoogleChatChannelConfig
    kind = "google_chat"
    markup = "chat_card"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        text = f"🚨 [{message.severity.upper()}] {PRODUCT}"
        if message.link:
            text += f" — <{message.link}|{message.labels['open']}>"
        header = {
            "title": PRODUCT,
            "subtitle": f"{message.labels['alert']} · {message.severity.upper()}",
        }
        card = chat_card(
            f"canhgac-{message.alert_id}",
            header,
            self.alert_text(message),
            message.link,
            message.labels["open"],
        )
        return {"text": text, "cardsV2": [card]}

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        title = DIGEST_TITLE[self.language]
        text = f"📋 {title}: {len(digest.alerts)}"
        card = chat_card(f"canhgac-{digest.id}", {"title": title}, self.digest_text(digest))
        return {"text": text, "cardsV2": [card]}
