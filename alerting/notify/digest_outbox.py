"""Digest mode on the outbox: low severities wait, and go out as one message per period.

Nothing changes at enqueue: detection writes one pending row per (alert, channel) as always,
so a queued alert is in the store before anything else happens and a crash loses none. The
dispatcher then *holds* the rows of a channel in digest mode whose alert is at or below its
``digest.max_severity`` (more severe ones go out at once, as before) and, once a period has
ended (periods are aligned to the clock: ``15m`` ends at :00, :15, :30, :45 UTC, plus
``settle`` seconds for rows enqueued at the last moment), sends one digest of the held rows
enqueued before the period's end.

A digest is a row of the same outbox: ``alert_id`` ``digest:<channel>@<period end>``. That id
is a function of the channel and the period, so creating the row is idempotent (the store
ignores a second create) and every attempt, before or after a restart, carries the same id.
A digest is delivered in this order:

1. create the digest row (pending), unless it exists;
2. send it (the members are the held rows enqueued before the period's end);
3. mark the digest row ``sent``, then each member ``sent``.

So: a crash before 3 sends the same digest again (same id, same members: at least once, as
for single alerts; webhooks carry the id in ``X-Canhgac-Digest-Id``, e-mails in a header of
that name); a digest row marked ``sent`` is never sent again; a member left pending by a crash
in the middle of 3 is not lost but goes with the next period's digest. A failing digest is
retried with the dispatcher's backoff, and while it is pending no later digest of that
channel is made; when it gives up, its members are marked ``failed`` with its error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerting.notify.channel import Channel
from canhgac.config_channels import DigestConfig
from canhgac.models import Notification, Severity
from canhgac.store.base import NotifyStore
from canhgac.timeutil import from_iso, to_iso

log = logging.getLogger(__name__)

PREFIX = "digest:"
_RANK = {severity: rank for rank, severity in enumerate(Severity)}
#: Severities remembered per alert id (held rows are read every pass); cleared beyond this.
MAX_REMEMBERED = 100_000


def is_digest(note: Notification) -> bool:
    return note.alert_id.startswith(PREFIX)


def digest_id(channel: str, period_end: datetime) -> str:
    """``digest:<channel>@<period end>``: an ISO time holds no ``@``, so the last one splits."""
    return f"{PREFIX}{channel}@{to_iso(period_end)}"


def period_end_of(note: Notification) -> datetime:
    """The period end a digest row's id names."""
    return from_iso(note.alert_id.rpartition("@")[2])


def last_period_end(moment: datetime, every: timedelta) -> datetime:
    """The latest period boundary at or before ``moment`` (periods aligned to the epoch)."""
    step = every.total_seconds()
    return datetime.fromtimestamp((moment.timestamp() // step) * step, UTC)


def queued_at(note: Notification) -> datetime:
    """When a held row was enqueued: held rows are never marked, so it is ``updated_at``
    (unreadable: long ago, so that the row goes with the next digest rather than never)."""
    try:
        return from_iso(note.updated_at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class ChannelHold:
    """One channel's rows of a pass: held members and its pending digest rows."""

    held: list[Notification] = field(default_factory=list)
    digests: list[Notification] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest to send now: its row, its period and the member rows it covers."""

    row: Notification
    period_end: datetime
    every: timedelta
    members: list[Notification]


class DigestCollector:
    """Decides which rows wait for a digest, and which digests are due."""

    def __init__(self, store: NotifyStore, *, settle: float = 30.0) -> None:
        self._store = store
        self.settle = timedelta(seconds=settle)
        self._severity: dict[str, Severity | None] = {}
        #: Per channel, the last period end whose digest this process found closed already.
        self._closed: dict[str, datetime] = {}

    def holds(self, note: Notification, config: DigestConfig) -> bool:
        """Whether ``note`` waits for its channel's digest (its alert is not too severe)."""
        if note.alert_id not in self._severity:
            if len(self._severity) >= MAX_REMEMBERED:
                self._severity.clear()
            alert = self._store.get_alert(note.alert_id)
            self._severity[note.alert_id] = alert.severity if alert else None
        severity = self._severity[note.alert_id]
        return severity is not None and _RANK[severity] <= _RANK[Severity(config.max_severity)]

    def forget(self, alert_id: str) -> None:
        self._severity.pop(alert_id, None)

    def due(
        self,
        channel: Channel,
        config: DigestConfig,
        hold: ChannelHold,
        now: datetime,
        is_due: Callable[[Notification, datetime], bool],
    ) -> DueDigest | None:
        """The digest of ``channel`` to send in this pass, if one is due."""
        if hold.digests:
            row = min(hold.digests, key=lambda note: note.alert_id)
            if not is_due(row, now):
                return None
            end = period_end_of(row)
        else:
            end = last_period_end(now - self.settle, config.every)
            closed = self._closed.get(channel.name)
            if closed is not None and end <= closed:
                return None
            if not any(queued_at(note) < end for note in hold.held):
                return None
            opened = self._open(channel.name, end)
            if opened is None:  # sent or given up already: its leftovers go with the next one
                self._closed[channel.name] = end
                return None
            row = opened
        members = [note for note in hold.held if queued_at(note) < end]
        return DueDigest(row, end, config.every, members)

    def _open(self, channel: str, end: datetime) -> Notification | None:
        """The pending digest row for ``end``, created if need be; None if it is finished."""
        row_id = digest_id(channel, end)
        self._store.enqueue_notifications(row_id, [channel])
        for note in self._store.list_notifications(row_id):
            if note.channel == channel:
                return note if note.status == "pending" else None
        log.warning("digest row %s was not found after it was created", row_id)
        return None
