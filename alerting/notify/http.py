"""One JSON POST to a notification receiver, and what its answer means.

2xx is delivered. 4xx means the receiver rejects this request and would reject it again
(except 408 Request Timeout and 429 Too Many Requests, which ask to come back later): a
:class:`PermanentNotificationError`; 5xx, timeouts and network errors are a retryable
:class:`~canhgac.errors.NotificationError` (the dispatcher backs off). Redirects are not
followed: a redirected POST loses its body, and following one would hand a bearer secret to
another host.

Chat webhooks carry their token in the URL's path or query, and Telegram's in the path: errors
and logs name only ``scheme://host:port`` (:func:`safe_target`), never the rest of the URL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, OpenerDirector, Request, build_opener

from alerting.notify.channel import PermanentNotificationError
from alerting.notify.render import shorten, strip_controls
from canhgac.errors import ConfigError, NotificationError
from canhgac.text import dumps

#: Answers that ask the sender to try again later although they are 4xx.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})

#: How much of a response body is read (drained, or quoted in an error).
MAX_RESPONSE_BYTES = 64 * 1024
_QUOTED_RESPONSE_CHARS = 200

#: Whether a failed answer (status, body) still means "it is there" (a duplicate refused).
AlreadyDelivered = Callable[[int, str], bool]


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # Returning None makes urllib raise HTTPError with the 3xx code instead.
        return None


def no_redirect_opener() -> OpenerDirector:
    return build_opener(_NoRedirects())


def is_permanent(status: int) -> bool:
    """Whether an HTTP failure status means "do not try again"."""
    return 300 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS


def safe_target(url: str, channel: str, kind: str) -> str:
    """``scheme://host:port`` of ``url``: safe to log, unlike its path, query or userinfo."""
    invalid = ConfigError(
        f"alerting channel '{channel}': {kind} url must be http(s)://host[:port]/..."
    )
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise invalid from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str


class JsonPoster:
    """POSTs JSON bodies to one URL and classifies the answers (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        kind: str,
        timeout: float,
        opener: OpenerDirector | None = None,
        already_delivered: AlreadyDelivered | None = None,
    ) -> None:
        self._url = url
        self.target = f"{kind} {safe_target(url, channel, kind)}"
        self._timeout = timeout
        self._opener = opener or no_redirect_opener()
        self._already_delivered = already_delivered

    def post(self, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
        """Send ``body`` as JSON; the 2xx answer, or raise ``NotificationError``."""
        request = Request(
            self._url,
            data=dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "canhgac-notify",
                **(headers or {}),
            },
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                text = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
                status = int(response.status)
        except HTTPError as exc:
            with exc:
                text = exc.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
            return self._refused(exc.code, text)
        except (URLError, HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise NotificationError(f"{self.target}: {reason or type(exc).__name__}") from None
        if not 200 <= status < 300:
            return self._refused(status, text)
        return Answer(status, text)

    def _refused(self, status: int, text: str) -> Answer:
        if self._already_delivered is not None and self._already_delivered(status, text):
            return Answer(status, text)
        raise self.failure(status, text)

    def failure(self, status: int, detail: str) -> NotificationError:
        """The error for an answer ``status`` quoting (a bounded, cleaned) ``detail``."""
        quoted = shorten(strip_controls(detail).strip(), _QUOTED_RESPONSE_CHARS)
        message = f"{self.target} answered HTTP {status}"
        if quoted:
            message += f": {quoted}"
        if is_permanent(status):
            return PermanentNotificationError(message)
        return NotificationError(message)
