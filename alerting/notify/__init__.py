"""Notify: deliver stored alerts to channels (console, webhook, email) through an outbox.

Detection enqueues one notification row per alert and channel (:func:`channels_for` picks the
channels); the :class:`Dispatcher` drains that outbox with retries and backoff, so a channel
being down never blocks detection and every failure stays visible on the row.
"""

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.registry import CHANNELS, build_channels
from alerting.notify.routing import channel_names, channels_for

__all__ = [
    "CHANNELS",
    "Channel",
    "DispatchReport",
    "Dispatcher",
    "PermanentNotificationError",
    "build_channels",
    "channel_names",
    "channels_for",
]
