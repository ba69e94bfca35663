"""How each channel is doing: counts, the pending backlog, the last success, failures in a row.

The dispatcher records every attempt here; the composition root reads :meth:`DeliveryStats.
snapshot` for Prometheus and :meth:`DeliveryStats.failing` for ``/healthz``, so a receiver that
is down shows as a metric and a degraded health, not only as rows in the outbox.

Failures are logged rate-limited (:class:`FailureLog`): the first failure of a channel at
once, then at most one line per ``interval`` saying how many followed, so a dead receiver
retried every few seconds for hours does not drown the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

log = logging.getLogger("alerting.notify")

#: Failed attempts in a row (with no success between) after which a channel is "failing".
FAILING_AFTER = 3


@dataclass(frozen=True, slots=True)
class ChannelDelivery:
    """One channel's numbers since this process started (``pending``: at the last pass)."""

    sent: int = 0  # alerts delivered, alone or in a digest
    digests: int = 0  # digest messages delivered
    failed: int = 0  # failed attempts, retried or not
    given_up: int = 0  # notifications marked failed for good
    consecutive_failures: int = 0
    pending: int = 0
    held: int = 0  # of the pending: alerts waiting for the next digest
    last_success: datetime | None = None
    last_error: str | None = None


class DeliveryStats:
    """Thread-safe per-channel :class:`ChannelDelivery`, keyed by channel name."""

    def __init__(self, channels: Iterable[str] = (), *, failing_after: int = FAILING_AFTER) -> None:
        self._lock = threading.Lock()
        self._channels = {name: ChannelDelivery() for name in channels}
        self.failing_after = failing_after

    def get(self, channel: str) -> ChannelDelivery:
        with self._lock:
            return self._channels.get(channel, ChannelDelivery())

    def sent(self, channel: str, now: datetime, *, alerts: int = 1, digest: bool = False) -> None:
        """``alerts`` delivered to ``channel`` in one message (a digest when ``digest``)."""
        with self._lock:
            current = self._channels.get(channel, ChannelDelivery())
            self._channels[channel] = replace(
                current,
                sent=current.sent + alerts,
                digests=current.digests + int(digest),
                consecutive_failures=0,
                last_success=now,
            )

    def failed(self, channel: str, error: str, *, gave_up: bool) -> None:
        with self._lock:
            current = self._channels.get(channel, ChannelDelivery())
            self._channels[channel] = replace(
                current,
                failed=current.failed + 1,
                given_up=current.given_up + int(gave_up),
                consecutive_failures=current.consecutive_failures + 1,
                last_error=error,
            )

    def backlog(self, pending: dict[str, int], held: dict[str, int] | None = None) -> None:
        """The pending rows per channel after a pass (channels not named have none), and of
        those the ones ``held`` for a digest."""
        held = held or {}
        with self._lock:
            names = set(self._channels) | set(pending)
            for name in names:
                current = self._channels.get(name, ChannelDelivery())
                self._channels[name] = replace(
                    current, pending=pending.get(name, 0), held=held.get(name, 0)
                )

    def snapshot(self) -> dict[str, ChannelDelivery]:
        with self._lock:
            return dict(self._channels)

    def failing(self) -> dict[str, ChannelDelivery]:
        """Channels whose last ``failing_after`` attempts or more all failed."""
        return {
            name: delivery
            for name, delivery in self.snapshot().items()
            if delivery.consecutive_failures >= self.failing_after
        }


class FailureLog:
    """At most one warning per channel per ``interval`` seconds, with the count it stood for."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def failure(self, channel: str, now: float, message: str, *args: object) -> bool:
        """Log ``message % args`` unless ``channel`` logged within the interval; True if it did."""
        with self._lock:
            last = self._last.get(channel)
            if last is not None and now - last < self.interval:
                self._held[channel] = self._held.get(channel, 0) + 1
                return False
            held = self._held.pop(channel, 0)
            self._last[channel] = now
        suffix = f" ({held} more failures of this channel not logged since the last line)"
        log.warning(message + (suffix if held else ""), *args)
        return True
