"""The Apprise channel: one message to every Apprise URL of the channel.

Apprise (a kept library) speaks to some hundred services — ntfy, Matrix, Rocket.Chat, Zulip,
Pushover, SMS gateways, e-mail, and the chat services we also reach natively — from one URL
each, so a city team on a service we do not know natively is still reached. The message is
plain text (the channel's template in the ``text`` markup): Apprise converts it for each
service, and plain text means log content cannot turn into markup anywhere on the way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerting.notify.channel import Channel
from alerting.notify.digest import DIGEST_TITLE, Digest
from alerting.notify.message import AlertLinks, alert_message
from canhgac.config_channels import AppriseChannelConfig
from canhgac.errors import ConfigError, NotificationError
from canhgac.models import Alert

if TYPE_CHECKING:
    import apprise


class AppriseChannel(Channel):
    config_type = AppriseChannelConfig
    markup = "text"

    def __init__(self, config: AppriseChannelConfig, links: AlertLinks | None = None) -> None:
        import apprise  # 0.13 s to import: paid only by instances that use it

        super().__init__(config, links)
        self.max_attempts = config.max_attempts
        self._format = apprise.NotifyFormat.TEXT
        self._targets: apprise.Apprise = apprise.Apprise()
        for number, url in enumerate(config.urls, start=1):
            # The URL carries the service's token: the error names its position, never it.
            if not self._targets.add(url.get_secret_value()):
                raise ConfigError(
                    f"alerting.channels {config.name!r}: url #{number} is not an Apprise URL "
                    "of a known service (see https://appriseit.com/services/)"
                )

    def _notify(self, title: str, body: str) -> None:
        if not self._targets.notify(title=title, body=body, body_format=self._format):
            raise NotificationError(
                f"{self.name}: Apprise could not deliver to every URL (its log says which)"
            )

    def send(self, alert: Alert) -> None:
        message = alert_message(alert, self.links, self.language)
        self._notify(message.headline, self.alert_text(message))

    def send_digest(self, digest: Digest) -> None:
        self._notify(DIGEST_TITLE[self.language], self.digest_text(digest))
