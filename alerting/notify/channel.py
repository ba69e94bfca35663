"""What every notification channel is: built from its config model, sends one alert.

A failed send raises :class:`~canhgac.errors.NotificationError`, which the dispatcher retries
with backoff; :class:`PermanentNotificationError` says retrying cannot help (a 4xx answer, a
refused recipient, bad credentials), so the notification fails at once instead of hammering.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from alerting.notify.message import AlertLinks
from canhgac.config_base import Section
from canhgac.config_channels import ChannelBase
from canhgac.errors import NotificationError
from canhgac.models import Alert


class PermanentNotificationError(NotificationError):
    """The channel refused the notification for good; another attempt would fail the same way."""


class Channel(ABC):
    """A destination for alerts. Subclasses narrow ``config`` to their own config model."""

    #: The config model this channel is built from; its ``type`` is the registry key.
    config_type: ClassVar[type[Section]]

    def __init__(self, config: ChannelBase, links: AlertLinks | None = None) -> None:
        self.name = config.name
        #: The language of the message's words (``vi`` or ``en``).
        self.language: str = config.language
        #: Where messages link to: the alert's page in the web UI (``web.public_url``).
        self.links = links or AlertLinks()
        #: Overrides the dispatcher's default attempt limit when the config sets one.
        self.max_attempts: int | None = None

    @abstractmethod
    def send(self, alert: Alert) -> None:
        """Deliver ``alert`` once; raise ``NotificationError`` if it did not arrive."""
