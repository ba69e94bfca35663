"""What every notification channel is: built from its config model, sends one alert (and, for
channels in digest mode, one digest of many).

A failed send raises :class:`~canhgac.errors.NotificationError`, which the dispatcher retries
with backoff; :class:`PermanentNotificationError` says retrying cannot help (a 4xx answer, a
refused recipient, bad credentials), so the notification fails at once instead of hammering.

A channel that writes its messages from templates names its ``markup``
(:data:`alerting.notify.template.MARKUPS`); its templates are loaded and checked when it is
built. A channel with a fixed format of its own (the console's line, a case's description)
uses it unless the config names a ``template`` (:meth:`Channel.alert_text_or`). A channel with
no ``markup`` (the JSON webhook) refuses ``template`` keys, and one that ``takes_digests =
False`` (case management: one case per alert) refuses ``digest``, both at start.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from alerting.notify.channel_templates import ChannelTemplates
from alerting.notify.digest import Digest
from alerting.notify.message import AlertLinks, AlertMessage
from canhgac.config_base import Section
from canhgac.config_channels import ChannelBase, DigestConfig
from canhgac.errors import ConfigError, NotificationError
from canhgac.models import Alert


class PermanentNotificationError(NotificationError):
    """The channel refused the notification for good; another attempt would fail the same way."""


class Channel(ABC):
    """A destination for alerts. Subclasses narrow ``config`` to their own config model."""

    #: The config model this channel is built from; its ``type`` is the registry key.
    config_type: ClassVar[type[Section]]
    #: The markup its templates render; None: its messages are not templated.
    markup: ClassVar[str | None] = None
    #: Whether it can send digests.
    takes_digests: ClassVar[bool] = True

    def __init__(self, config: ChannelBase, links: AlertLinks | None = None) -> None:
        self.name = config.name
        #: The language of the message's words (``vi`` or ``en``).
        self.language: str = config.language
        #: Where messages link to: the alert's page in the web UI (``web.public_url``).
        self.links = links or AlertLinks()
        #: Overrides the dispatcher's default attempt limit when the config sets one.
        self.max_attempts: int | None = None
        #: Low severities wait for a digest when set (see alerting.notify.digest_outbox).
        self.digest: DigestConfig | None = config.digest
        if config.digest is not None and not self.takes_digests:
            raise ConfigError(
                f"alerting.channels {config.name!r}: a {type(self).__name__} takes each alert "
                "on its own; remove 'digest' (route low severities to a chat channel instead)"
            )
        self.templates: ChannelTemplates | None = None
        #: Whether the config names its own alert template (fixed-format defaults yield to it).
        self.own_template = config.template is not None
        if self.markup is not None:
            self.templates = ChannelTemplates(config, self.markup)
        elif config.template is not None or config.digest_template is not None:
            raise ConfigError(
                f"alerting.channels {config.name!r}: a {type(self).__name__} writes a fixed "
                "format; 'template' and 'digest_template' apply to text and chat channels"
            )

    @abstractmethod
    def send(self, alert: Alert) -> None:
        """Deliver ``alert`` once; raise ``NotificationError`` if it did not arrive."""

    def send_digest(self, digest: Digest) -> None:
        """Deliver ``digest`` once; raise ``NotificationError`` if it did not arrive."""
        raise PermanentNotificationError(f"{self.name}: this channel takes no digests")

    # --- templated text ---------------------------------------------------------------------
    def _templates(self) -> ChannelTemplates:
        if self.templates is None:
            raise TypeError(f"{type(self).__name__} has no templates (markup is None)")
        return self.templates

    def alert_text(self, message: AlertMessage) -> str:
        return self._templates().render_alert(message)

    def alert_text_or(self, message: AlertMessage, fixed: Callable[[AlertMessage], str]) -> str:
        """The channel's own template's text when it names one, else its ``fixed`` format."""
        return self.alert_text(message) if self.own_template else fixed(message)

    def digest_text(self, digest: Digest) -> str:
        return self._templates().render_digest(digest, self.links)
