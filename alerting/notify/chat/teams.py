"""Microsoft Teams: an Adaptive Card posted to a channel's Workflows webhook.

The Workflows ("Post to a channel when a webhook request is received") trigger takes a
``message`` whose one attachment is the card (``contentType``
``application/vnd.microsoft.card.adaptive``). The card's text is the channel's template (alert
or digest) in the ``adaptive_card`` markup: TextBlock text is a Markdown subset, so every value
is Markdown-escaped with mass mentions broken (:func:`~alerting.notify.markup.markdown_text`).
Each line of the template is a TextBlock of its own, because Markdown joins single newlines
into one paragraph; a blank line becomes spacing. An alert's link is also an
``Action.OpenUrl`` button.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.digest import Digest
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage
from canhgac.config_channels import TeamsChannelConfig
from canhgac.models import Severity

_ATTENTION = {Severity.high, Severity.critical}
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def text_blocks(text: str) -> list[dict[str, Any]]:
    """One wrapping TextBlock per non-blank line; a blank line spaces the next block."""
    blocks: list[dict[str, Any]] = []
    gap = False
    for line in text.splitlines():
        if not line.strip():
            gap = bool(blocks)
            continue
        block: dict[str, Any] = {"type": "TextBlock", "text": line, "wrap": True}
        if gap:
            block["spacing"] = "Medium"
        blocks.append(block)
        gap = False
    return blocks


def adaptive_card(
    text: str, *, color: str | None = None, link: str | None = None, link_title: str = ""
) -> dict[str, Any]:
    """The card of ``text`` (already in the ``adaptive_card`` markup); ``color`` marks its
    first line, ``link`` becomes a button."""
    body = text_blocks(text)
    if body and color:
        body[0].update(size="Medium", color=color)
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link_title, "url": link}]
    return card


def workflows_message(card: dict[str, Any]) -> dict[str, Any]:
    """The request body the Workflows webhook trigger reads: a message with the card."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


class TeamsChannel(HttpChannel[TeamsChannelConfig]):
    config_type = TeamsChannelConfig
    kind = "teams"
    markup = "adaptive_card"

    def endpoint(self) -> str:
        return self.config.url.get_secret_value()

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        color = "Attention" if message.severity in _ATTENTION else "Warning"
        card = adaptive_card(
            self.alert_text(message),
            color=color,
            link=message.link,
            link_title=message.labels["open"],
        )
        return workflows_message(card)

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return workflows_message(adaptive_card(self.digest_text(digest)))
