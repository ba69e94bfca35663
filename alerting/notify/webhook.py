"""The webhook channel: POST the alert as JSON, classify the answer as sent, retry or give up.

2xx is delivered. 4xx means the receiver rejects this request and would reject it again
(except 408 Request Timeout and 429 Too Many Requests, which ask to come back later); 5xx,
timeouts and network errors are retried by the dispatcher. Redirects are not followed: a
redirected POST loses its body, and following one would hand the bearer secret to another host.

The secret and the URL's path and query (chat webhooks carry their token there) never appear in
errors or logs; only ``scheme://host:port`` does.
"""

from __future__ import annotations

from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, OpenerDirector, Request, build_opener

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.render import display_time, shorten, strip_controls, summary
from canhgac.config import WebhookChannelConfig
from canhgac.errors import ConfigError, NotificationError
from canhgac.models import Alert
from canhgac.text import dumps

#: Answers that ask the sender to try again later although they are 4xx.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})

#: How much of a response body is read (drained, or quoted in an error).
_MAX_RESPONSE_BYTES = 64 * 1024
_QUOTED_RESPONSE_CHARS = 200


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # Returning None makes urllib raise HTTPError with the 3xx code instead.
        return None


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """The alert as stored, plus the display time and the one-line summary."""
    body = alert.model_dump(mode="json")
    body["display_time"] = display_time(alert)
    body["summary"] = summary(alert)
    return body


def is_permanent(status: int) -> bool:
    """Whether an HTTP failure status means "do not try again"."""
    return 300 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS


def _target(config: WebhookChannelConfig) -> str:
    """``scheme://host:port`` of the URL: safe to log, unlike its path, query or userinfo."""
    invalid = ConfigError(
        f"alerting channel '{config.name}': webhook url must be http(s)://host[:port]/..."
    )
    try:
        parts = urlsplit(config.url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise invalid from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


class WebhookChannel(Channel):
    config_type = WebhookChannelConfig

    def __init__(
        self, config: WebhookChannelConfig, *, opener: OpenerDirector | None = None
    ) -> None:
        super().__init__(config)
        self._target = _target(config)
        self.max_attempts = config.max_attempts
        self._url = config.url
        self._secret = config.secret
        self._timeout = config.timeout.total_seconds()
        self._opener = opener or build_opener(_NoRedirects())

    def _request(self, alert: Alert) -> Request:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "canhgac-notify",
            # Delivery is at-least-once; the id lets a receiver drop a repeat.
            "X-Canhgac-Alert-Id": alert.id,
        }
        if self._secret is not None:
            headers["Authorization"] = f"Bearer {self._secret.get_secret_value()}"
        body = dumps(webhook_payload(alert)).encode("utf-8")
        return Request(self._url, data=body, headers=headers, method="POST")

    def send(self, alert: Alert) -> None:
        request = self._request(alert)
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read(_MAX_RESPONSE_BYTES)
                status = int(response.status)
        except HTTPError as exc:
            with exc:
                detail = exc.read(_MAX_RESPONSE_BYTES).decode("utf-8", "replace")
            raise self._failure(exc.code, detail) from None
        except (URLError, HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise NotificationError(f"webhook {self._target}: {reason}") from None
        if not 200 <= status < 300:
            raise self._failure(status, "")

    def _failure(self, status: int, detail: str) -> NotificationError:
        quoted = shorten(strip_controls(detail).strip(), _QUOTED_RESPONSE_CHARS)
        message = f"webhook {self._target} answered HTTP {status}"
        if quoted:
            message += f": {quoted}"
        if is_permanent(status):
            return PermanentNotificationError(message)
        return NotificationError(message)
