"""The shape every HTTP channel shares: endpoint, headers and payload from its config, one POST.

A chat or case-management channel says only where it posts (:meth:`HttpChannel.endpoint`), with
which headers, and what the payload of an :class:`~alerting.notify.message.AlertMessage` is
(:meth:`HttpChannel.payload`, a pure function the tests compare with the documented shape), and
for a digest :meth:`HttpChannel.digest_payload`.
Sending, timeouts and what an answer means are :class:`~alerting.notify.http.JsonPoster`'s.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Generic, TypeVar
from urllib.request import OpenerDirector

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.digest import Digest
from alerting.notify.http import Answer, JsonPoster
from alerting.notify.message import AlertLinks, AlertMessage, alert_message
from canhgac.config_channels import RemoteChannelBase
from canhgac.models import Alert

C = TypeVar("C", bound=RemoteChannelBase)


class HttpChannel(Channel, Generic[C]):
    #: A word for errors and logs ("telegram", "thehive"); the URL never appears in them.
    kind: ClassVar[str]

    def __init__(
        self, config: C, links: AlertLinks | None = None, *, opener: OpenerDirector | None = None
    ) -> None:
        super().__init__(config, links)
        self.config = config
        self.max_attempts = config.max_attempts
        self.poster = JsonPoster(
            self.endpoint(),
            channel=config.name,
            kind=self.kind,
            timeout=config.timeout.total_seconds(),
            opener=opener,
            already_delivered=self.already_delivered,
        )

    @abstractmethod
    def endpoint(self) -> str:
        """The URL to POST to (it may hold a secret: it is never logged)."""

    @abstractmethod
    def payload(self, message: AlertMessage) -> dict[str, Any]:
        """The JSON body for ``message``, every log-derived value escaped for the target."""

    def digest_payload(self, digest: Digest) -> dict[str, Any]:
        """The JSON body for ``digest``; channels that take digests override it."""
        raise PermanentNotificationError(f"{self.name}: this channel takes no digests")

    def headers(self) -> dict[str, str]:
        return {}

    def already_delivered(self, status: int, body: str) -> bool:
        """Whether a refusal means the receiver has it already (a repeat after a crash)."""
        return False

    def check(self, answer: Answer) -> None:
        """Raise if a 2xx answer still says the message was not taken."""

    def send(self, alert: Alert) -> None:
        answer = self.poster.post(
            self.payload(alert_message(alert, self.links, self.language)), self.headers()
        )
        self.check(answer)

    def send_digest(self, digest: Digest) -> None:
        # The id is the same on every attempt: a receiver can drop a repeat after a crash.
        headers = {**self.headers(), "X-Canhgac-Digest-Id": digest.id}
        self.check(self.poster.post(self.digest_payload(digest), headers))
