"""The outbox drainer: send pending notifications, record each outcome on its row.

Each pending row is tried when due: at once the first time, then after an exponential backoff
counted from its ``updated_at`` (``backoff_base * 2**(attempts-1)`` seconds, capped), so a dead
receiver is not hammered: rows waiting out their backoff are skipped, not slept on. Sends are
sequential, so a receiver that times out delays the rest of the pass by its timeout per due row.
The outcome is written to the row: ``sent``; ``pending`` with ``attempts`` and
``last_error`` while a retryable failure has attempts left; ``failed`` with ``last_error`` when
they run out or the failure is permanent. Analysts see the row next to the alert.

Delivery is **at least once**: the send happens before the row is marked, so if the process dies
(or the store write fails) in between, the row is still ``pending`` and the alert is sent again
after a restart. Receivers can drop the repeat by alert id (webhooks carry it in the
``X-Canhgac-Alert-Id`` header, emails in a header of the same name). Run one dispatcher per
store: two would race for the same rows and send twice.

Channels in digest mode hold their low-severity rows and send them as one digest per period
(:mod:`alerting.notify.digest_outbox`); held rows count as pending, and a digest's alerts as
sent when it is delivered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.delivery import DeliveryStats, FailureLog
from alerting.notify.digest import Digest
from alerting.notify.digest_outbox import ChannelHold, DigestCollector, DueDigest, is_digest
from alerting.notify.render import shorten, strip_controls
from canhgac.errors import NotificationError
from canhgac.lifecycle import Service
from canhgac.models import Alert, Notification
from canhgac.retry import RetryPolicy
from canhgac.store.base import NotifyStore
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)

#: The longest ``last_error`` kept on a row.
MAX_ERROR_CHARS = 1000
#: The most pending rows read in one pass (held rows are read again each pass, so the read
#: grows by their number, up to this: the Elasticsearch result window).
MAX_READ = 10_000


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one :meth:`Dispatcher.run_once` pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0  # pending rows whose backoff has not elapsed yet
    digests: int = 0  # digest messages delivered (their alerts count in ``sent``)
    held: int = 0  # rows waiting for their channel's next digest


class Dispatcher(Service):
    def __init__(
        self,
        store: NotifyStore,
        channels: Mapping[str, Channel],
        *,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        poll_interval: float = 1.0,
        batch_size: int = 500,
        clock: Callable[[], datetime] = utcnow,
        stats: DeliveryStats | None = None,
        failure_log: FailureLog | None = None,
        digest_settle: float = 30.0,
    ) -> None:
        """``max_attempts`` applies to channels whose config sets none (the console);
        ``backoff_*`` and ``poll_interval`` are seconds; ``clock`` returns an aware datetime
        (a test seam). A pass reads at most ``batch_size`` pending rows, oldest ``updated_at``
        first; with more rows than that in backoff, newer rows wait at most ``backoff_cap``.
        ``stats`` receives every outcome per channel (metrics and health read it); retryable
        failures are logged through ``failure_log`` (rate-limited per channel), a notification
        given up is always logged. A digest period's digest goes ``digest_settle`` seconds
        after the period ends, so rows enqueued in its last moments are in it."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._store = store
        self._channels = dict(channels)
        self._max_attempts = max_attempts
        self._retry = RetryPolicy(initial=backoff_base, cap=backoff_cap)
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._clock = clock
        self.stats = stats or DeliveryStats(self._channels)
        self._failure_log = failure_log or FailureLog()
        self._digests = DigestCollector(store, settle=digest_settle)
        self._held_last = 0
        self._pass_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one pass ---------------------------------------------------------------------------
    def backoff(self, attempts: int) -> timedelta:
        """How long a row that has failed ``attempts`` times waits before the next try."""
        return timedelta(seconds=self._retry.delay(attempts))

    def is_due(self, note: Notification, now: datetime) -> bool:
        if note.attempts == 0:
            return True
        try:
            waited = now - from_iso(note.updated_at)
        except ValueError:
            return True
        # A negative wait means the clock went backwards; don't let that stall the row.
        return waited >= self.backoff(note.attempts) or waited < timedelta(0)

    def run_once(self) -> DispatchReport:
        """Try every due pending notification once, and every due digest. Store errors
        propagate."""
        sent = retrying = failed = waiting = 0
        backlog: dict[str, int] = {}
        holds: dict[str, ChannelHold] = {}
        with self._pass_lock:
            now = self._clock()
            limit = min(self._batch_size + self._held_last, MAX_READ)
            for note in self._store.pending_notifications(limit):
                if self._held(note, holds):
                    continue
                if not self.is_due(note, now):
                    waiting += 1
                    backlog[note.channel] = backlog.get(note.channel, 0) + 1
                    continue
                outcome = self._attempt(note)
                self._store.mark_notification(outcome)
                if outcome.status != "pending":
                    self._digests.forget(note.alert_id)
                if outcome.status == "sent":
                    sent += 1
                elif outcome.status == "failed":
                    failed += 1
                else:
                    retrying += 1
                    backlog[note.channel] = backlog.get(note.channel, 0) + 1
            self._held_last = sum(len(hold.held) for hold in holds.values())
            report = self._flush_digests(holds, now)  # leaves the rows still held in holds
            held = {name: len(hold.held) for name, hold in holds.items()}
            for name, count in held.items():
                backlog[name] = backlog.get(name, 0) + count
            self.stats.backlog(backlog, held)
        return DispatchReport(
            sent=sent + report.sent,
            retrying=retrying + report.retrying,
            failed=failed + report.failed,
            waiting=waiting,
            digests=report.digests,
            held=sum(held.values()),
        )

    # --- digests (see alerting.notify.digest_outbox) -----------------------------------------
    def _held(self, note: Notification, holds: dict[str, ChannelHold]) -> bool:
        """Whether ``note`` is a digest row or waits for one (then it is put in ``holds``)."""
        channel = self._channels.get(note.channel)
        if channel is None:
            return False  # failed as "not configured" by _attempt
        if is_digest(note):
            holds.setdefault(note.channel, ChannelHold()).digests.append(note)
            return True
        if channel.digest is None or not self._digests.holds(note, channel.digest):
            return False
        holds.setdefault(note.channel, ChannelHold()).held.append(note)
        return True

    def _flush_digests(self, holds: dict[str, ChannelHold], now: datetime) -> DispatchReport:
        """Send each channel's due digest; its members leave ``holds`` once marked."""
        sent = retrying = failed = digests = 0
        for name, hold in holds.items():
            channel = self._channels[name]
            if channel.digest is None:  # rows of a digest mode the config has dropped since
                for row in hold.digests:
                    error = "the channel is no longer in digest mode"
                    self._store.mark_notification(self._outcome(row, row.attempts, "failed", error))
                continue
            due = self._digests.due(channel, channel.digest, hold, now, self.is_due)
            if due is None:
                continue
            outcome, delivered = self._send_digest(channel, due)
            if outcome.status == "pending":
                retrying += 1
                continue
            released = {id(member) for member in due.members}
            hold.held = [note for note in hold.held if id(note) not in released]
            if outcome.status == "sent":
                sent += delivered
                digests += int(delivered > 0)
            else:
                failed += 1
        return DispatchReport(sent=sent, retrying=retrying, failed=failed, digests=digests)

    def _send_digest(self, channel: Channel, due: DueDigest) -> tuple[Notification, int]:
        """Send ``due``, mark its row then its members; the row's outcome and the alerts
        delivered."""
        alerts: list[Alert] = []
        members: list[Notification] = []
        for member in due.members:
            alert = self._store.get_alert(member.alert_id)
            if alert is None:
                gone = self._outcome(member, member.attempts + 1, "failed", "alert not found")
                self._store.mark_notification(gone)
                continue
            alerts.append(alert)
            members.append(member)
        row = due.row
        if not alerts:  # nothing left to say (alerts gone, or the severity routing changed)
            closed = self._outcome(row, row.attempts, "sent", None)
            self._store.mark_notification(closed)
            return closed, 0
        digest = Digest(row.alert_id, channel.name, due.period_end, due.every, tuple(alerts))
        outcome = self._try(row, lambda: channel.send_digest(digest))
        self._store.mark_notification(outcome)  # the digest first: once sent, never again
        if outcome.status == "pending":
            return outcome, 0
        error = None if outcome.status == "sent" else f"digest {row.alert_id}: {outcome.last_error}"
        for member in members:
            self._store.mark_notification(
                self._outcome(member, member.attempts + 1, outcome.status, error)
            )
            self._digests.forget(member.alert_id)
        if outcome.status == "sent":
            self.stats.sent(channel.name, self._clock(), alerts=len(alerts), digest=True)
            return outcome, len(alerts)
        return outcome, 0

    def _attempt(self, note: Notification) -> Notification:
        attempts = note.attempts + 1
        channel = self._channels.get(note.channel)
        if channel is None:
            return self._failure(note, attempts, "channel is not configured", permanent=True)
        alert = self._store.get_alert(note.alert_id)
        if alert is None:
            return self._failure(note, attempts, "alert not found", permanent=True)
        outcome = self._try(note, lambda: channel.send(alert))
        if outcome.status == "sent":
            self.stats.sent(note.channel, self._clock())
        return outcome

    def _try(self, note: Notification, send: Callable[[], None]) -> Notification:
        """``note``'s row after one more attempt of ``send`` (an alert or a digest)."""
        attempts = note.attempts + 1
        try:
            send()
        except PermanentNotificationError as exc:
            return self._failure(note, attempts, str(exc), permanent=True)
        except NotificationError as exc:
            return self._failure(note, attempts, str(exc), permanent=False)
        except Exception as exc:  # a channel bug must not stop the other deliveries
            what = "digest" if is_digest(note) else "alert"
            log.exception("channel %s crashed sending %s %s", note.channel, what, note.alert_id)
            return self._failure(note, attempts, f"{type(exc).__name__}: {exc}", permanent=False)
        return self._outcome(note, attempts, "sent", None)

    def _failure(
        self, note: Notification, attempts: int, error: str, *, permanent: bool
    ) -> Notification:
        channel = self._channels.get(note.channel)
        limit = (channel.max_attempts if channel else None) or self._max_attempts
        give_up = permanent or attempts >= limit
        # The error may quote a receiver's answer: no raw newlines or escapes into the log.
        error = _one_line(error)
        self.stats.failed(note.channel, error, gave_up=give_up)
        message = "notification of alert %s via %s failed (attempt %d/%d%s): %s"
        args = (
            note.alert_id,
            note.channel,
            attempts,
            limit,
            ", giving up" if give_up else "",
            error,
        )
        if give_up:  # a notification lost for good is always worth a line
            log.warning(message, *args)
        else:
            self._failure_log.failure(note.channel, time.monotonic(), message, *args)
        return self._outcome(note, attempts, "failed" if give_up else "pending", error)

    def _outcome(
        self, note: Notification, attempts: int, status: str, error: str | None
    ) -> Notification:
        return note.model_copy(
            update={
                "status": status,
                "attempts": attempts,
                "last_error": None if error is None else _one_line(error),
                "updated_at": to_iso(self._clock()),
            }
        )

    # --- background thread ------------------------------------------------------------------
    def start(self) -> None:
        """Drain the outbox every ``poll_interval`` seconds in a background thread."""
        if self._thread is not None:
            raise RuntimeError("dispatcher already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="canhgac-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop polling; waits for a send in progress (bounded by the channel's timeout)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:  # the store may be briefly unavailable; try again next poll
                log.exception("notification dispatch pass failed")
            self._stopping.wait(self._poll_interval)


def _one_line(error: str) -> str:
    return shorten(strip_controls(error), MAX_ERROR_CHARS)
