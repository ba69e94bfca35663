"""Telegram: the Bot API's ``sendMessage`` with ``parse_mode: HTML``.

``POST {api_url}/bot<token>/sendMessage`` with ``chat_id`` and ``text``; in HTML mode every
``<``, ``>`` and ``&`` that is not markup must be an entity: the text is the channel's template
in the ``html`` markup, which escapes each value. A 2xx answer carries ``{"ok": true}``; the
token is in the path, so only the API host is ever logged.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.notify.digest import Digest
from alerting.notify.http import Answer
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage
from alerting.notify.render import shorten
from canhgac.config_channels import TelegramChannelConfig
from canhgac.errors import NotificationError

#: Telegram refuses a message longer than this (after entity parsing).
MAX_TEXT = 4096


class TelegramChannel(HttpChannel[TelegramChannelConfig]):
    config_type = TelegramChannelConfig
    kind = "telegram"
    markup = "html"

    def endpoint(self) -> str:
        token = self.config.token.get_secret_value()
        return f"{self.config.api_url.rstrip('/')}/bot{token}/sendMessage"

    def _body(self, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "chat_id": self.config.chat_id,
            "text": shorten(text, MAX_TEXT),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if self.config.message_thread_id is not None:
            body["message_thread_id"] = self.config.message_thread_id
        return body

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return self._body(self.alert_text(message))

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return self._body(self.digest_text(digest))

    def check(self, answer: Answer) -> None:
        try:
            ok = json.loads(answer.body).get("ok") is True
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            raise NotificationError(f"{self.poster.target}: answer without ok: true")
