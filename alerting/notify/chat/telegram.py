"""Telegram: the Bot API's ``sendMessage`` with ``parse_mode: HTML``.

``POST {api_url}/bot<token>/sendMessage`` with ``chat_id`` and ``text``; in HTML mode every
``<``, ``>`` and ``&`` that is not markup must be an entity, so each value goes through
:func:`~alerting.notify.markup.html_text`. A 2xx answer carries ``{"ok": true}``; the token
is in the path, so only the API host is ever logged.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.notify.http import Answer
from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import html_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import TelegramChannelConfig
from canhgac.errors import NotificationError

#: Telegram refuses a message longer than this (after entity parsing).
MAX_TEXT = 4096


def telegram_text(message: AlertMessage) -> str:
    lines = [f"🚨 <b>{html_text(message.headline)}</b>"]
    lines += [
        f"{html_text(label)}: <code>{html_text(value)}</code>" for label, value in message.facts()
    ]
    if message.link:
        lines.append(f'<a href="{html_text(message.link)}">{message.labels["open"]}</a>')
    return "\n".join(lines)


class TelegramChannel(HttpChannel[TelegramChannelConfig]):
    config_type = TelegramChannelConfig
    kind = "telegram"

    def endpoint(self) -> str:
        token = self.config.token.get_secret_value()
        return f"{self.config.api_url.rstrip('/')}/bot{token}/sendMessage"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "chat_id": self.config.chat_id,
            "text": telegram_text(message),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if self.config.message_thread_id is not None:
            body["message_thread_id"] = self.config.message_thread_id
        return body

    def check(self, answer: Answer) -> None:
        try:
            ok = json.loads(answer.body).get("ok") is True
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            raise NotificationError(f"{self.poster.target}: answer without ok: true")
