"""Zalo Official Account: a consultation text message to each analyst who follows the OA.

Apprise has no Zalo, so this is native, after the OA Open API v3 ("Gửi tin Tư vấn"):
``POST {api_url}/v3.0/oa/message/cs`` with the OA access token in the ``access_token`` header
and ``{"recipient": {"user_id": …}, "message": {"text": …}}``. Zalo answers HTTP 200 with
``{"error": 0, "message": "Success", "data": {"message_id": …}}``; a non-zero ``error`` (an
expired token, a user outside the consultation window) is a failure that is retried, since a
token refresh or the user's next message can cure it.

The text is plain (the channel's template in the ``text`` markup: controls and bidi overrides
stripped) and cut to Zalo's 2000 characters. An OA access token lives 25 hours, so
``access_token_file`` is re-read on every send and a refresher job may rewrite it. Each user
id gets its own request, in order; delivery is at least once, so after a failure the retry
writes again to the users before the one that failed.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.notify.digest import Digest
from alerting.notify.http import Answer
from alerting.notify.http_channel import HttpChannel
from alerting.notify.message import AlertMessage, alert_message
from alerting.notify.render import shorten, strip_controls
from canhgac.config_channels import ZaloChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert

#: Zalo refuses a text message longer than this.
MAX_TEXT = 2000


class ZaloChannel(HttpChannel[ZaloChannelConfig]):
    config_type = ZaloChannelConfig
    kind = "zalo"
    markup = "text"

    def endpoint(self) -> str:
        return f"{self.config.api_url.rstrip('/')}/v3.0/oa/message/cs"

    def access_token(self) -> str:
        if self.config.access_token is not None:
            return self.config.access_token.get_secret_value()
        path = self.config.access_token_file
        try:
            token = path.read_text(encoding="utf-8").strip() if path else ""
        except OSError as exc:
            message = f"{self.name}: cannot read the access token file: {exc.strerror}"
            raise NotificationError(message) from None
        if not token:
            raise NotificationError(f"{self.name}: the access token file is empty")
        return token

    def headers(self) -> dict[str, str]:
        return {"access_token": self.access_token()}

    @staticmethod
    def text_message(user_id: str, text: str) -> dict[str, Any]:
        return {"recipient": {"user_id": user_id}, "message": {"text": shorten(text, MAX_TEXT)}}

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        """The request for the first user (each user gets the same text)."""
        return self.text_message(self.config.user_ids[0], self.alert_text(message))

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        return self.text_message(self.config.user_ids[0], self.digest_text(digest))

    def _send_text(self, text: str) -> None:
        headers = self.headers()
        for user_id in self.config.user_ids:
            self.check(self.poster.post(self.text_message(user_id, text), headers))

    def send(self, alert: Alert) -> None:
        self._send_text(self.alert_text(alert_message(alert, self.links, self.language)))

    def send_digest(self, digest: Digest) -> None:
        self._send_text(self.digest_text(digest))

    def check(self, answer: Answer) -> None:
        try:
            reply = json.loads(answer.body)
            error, detail = reply.get("error"), reply.get("message", "")
        except (ValueError, AttributeError):
            error, detail = None, "an answer that is not Zalo's JSON"
        if error != 0:
            quoted = shorten(strip_controls(str(detail)), 200)
            raise NotificationError(f"{self.poster.target}: Zalo error {error}: {quoted}")
