"""The generic webhook channel: POST the alert as JSON (the stored alert, its display time, its
one-line summary and its link), with an optional bearer secret.

A digest is one POST too: ``{"kind": "digest", "id", "channel", "summary", "alerts"}`` (the
summary is what digest templates see; the alerts as stored, each with its ``url``).

Delivery is at least once; the ``X-Canhgac-Alert-Id`` (``X-Canhgac-Digest-Id``) header lets a
receiver drop a repeat. What an answer means (retry, give up) is :mod:`alerting.notify.http`'s.
"""

from __future__ import annotations

from typing import Any
from urllib.request import OpenerDirector

from alerting.notify.channel import Channel
from alerting.notify.channel_templates import DEFAULT_MAX_ALERTS
from alerting.notify.digest import Digest, digest_context
from alerting.notify.http import JsonPoster
from alerting.notify.message import AlertLinks
from alerting.notify.render import display_time, summary
from canhgac.config_channels import WebhookChannelConfig
from canhgac.models import Alert


def webhook_payload(alert: Alert, links: AlertLinks | None = None) -> dict[str, Any]:
    """The alert as stored, plus the display time, the one-line summary and its UI link."""
    body = alert.model_dump(mode="json")
    body["display_time"] = display_time(alert)
    body["summary"] = summary(alert)
    body["url"] = (links or AlertLinks()).alert(alert.id)
    return body


def webhook_digest(
    digest: Digest, links: AlertLinks, language: str = "vi", max_alerts: int = DEFAULT_MAX_ALERTS
) -> dict[str, Any]:
    return {
        "kind": "digest",
        "id": digest.id,
        "channel": digest.channel,
        "summary": digest_context(digest, links, language, max_alerts),
        "alerts": [webhook_payload(alert, links) for alert in digest.alerts],
    }


class WebhookChannel(Channel):
    config_type = WebhookChannelConfig

    def __init__(
        self,
        config: WebhookChannelConfig,
        links: AlertLinks | None = None,
        *,
        opener: OpenerDirector | None = None,
    ) -> None:
        super().__init__(config, links)
        self.max_attempts = config.max_attempts
        self._secret = config.secret
        self._max_alerts = config.digest.max_alerts if config.digest else DEFAULT_MAX_ALERTS
        self._poster = JsonPoster(
            config.url,
            channel=config.name,
            kind="webhook",
            timeout=config.timeout.total_seconds(),
            opener=opener,
        )

    def _headers(self, name: str, value: str) -> dict[str, str]:
        # Delivery is at-least-once; the id lets a receiver drop a repeat.
        headers = {name: value}
        if self._secret is not None:
            headers["Authorization"] = f"Bearer {self._secret.get_secret_value()}"
        return headers

    def send(self, alert: Alert) -> None:
        headers = self._headers("X-Canhgac-Alert-Id", alert.id)
        self._poster.post(webhook_payload(alert, self.links), headers)

    def send_digest(self, digest: Digest) -> None:
        body = webhook_digest(digest, self.links, self.language, self._max_alerts)
        self._poster.post(body, self._headers("X-Canhgac-Digest-Id", digest.id))
