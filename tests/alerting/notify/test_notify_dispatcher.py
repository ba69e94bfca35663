"""The outbox drainer against a real SQLite store: outcomes on the rows, backoff, attempt
limits, at-least-once after a crash, and the background thread."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.console import ConsoleChannel
from alerting.notify.dispatcher import MAX_ERROR_CHARS, Dispatcher, DispatchReport
from canhgac.config import ConsoleChannelConfig
from canhgac.errors import NotificationError, StoreError
from canhgac.models import Alert, Notification
from canhgac.store.sqlite.store import SQLiteStore

MakeAlert = Callable[..., Alert]


class ScriptedChannel(Channel):
    """Fails with the scripted errors in order, then delivers; records what it delivered."""

    config_type = ConsoleChannelConfig

    def __init__(self, name: str, *errors: Exception, max_attempts: int | None = None) -> None:
        super().__init__(ConsoleChannelConfig(name=name))
        self.max_attempts = max_attempts
        self.errors = list(errors)
        self.tries = 0
        self.delivered: list[str] = []
        self.arrived = threading.Event()

    def send(self, alert: Alert) -> None:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(alert.id)
        self.arrived.set()


def _rows(store: SQLiteStore, alert: Alert) -> dict[str, Notification]:
    return {row.channel: row for row in store.list_notifications(alert.id)}


def _stored(store: SQLiteStore, alert: Alert, *channels: str) -> Alert:
    written = store.record_alert(alert, alert.event_ids).alert
    store.enqueue_notifications(alert.id, list(channels))
    return written


def test_one_channel_sent_and_one_failing_permanently_are_both_recorded(
    store: SQLiteStore, make_alert: MakeAlert, clock: Callable[[], datetime]
) -> None:
    alert = _stored(store, make_alert(), "console", "pager")
    out = io.StringIO()
    channels: dict[str, Channel] = {
        "console": ConsoleChannel(ConsoleChannelConfig(), stream=out),
        "pager": ScriptedChannel("pager", PermanentNotificationError("pager: 403 forbidden")),
    }
    report = Dispatcher(store, channels, clock=clock).run_once()

    assert report == DispatchReport(sent=1, failed=1)
    rows = _rows(store, alert)
    assert (rows["console"].status, rows["console"].attempts) == ("sent", 1)
    assert rows["console"].last_error is None
    assert (rows["pager"].status, rows["pager"].attempts) == ("failed", 1)
    assert rows["pager"].last_error == "pager: 403 forbidden"
    assert rows["pager"].updated_at == "2026-11-27T04:00:00.000000Z"
    assert "Đăng nhập SSH thất bại nhiều lần" in out.getvalue()
    assert store.pending_notifications() == []


def test_backoff_doubles_from_the_base_up_to_the_cap(store: SQLiteStore) -> None:
    dispatcher = Dispatcher(store, {}, backoff_base=2.0, backoff_cap=60.0)
    assert [dispatcher.backoff(n).total_seconds() for n in range(7)] == [0, 2, 4, 8, 16, 32, 60]
    assert dispatcher.backoff(10_000).total_seconds() == 60


def test_retryable_failures_wait_out_the_backoff_and_stop_at_max_attempts(
    store: SQLiteStore,
    make_alert: MakeAlert,
    clock: Callable[[], datetime],
    advance: Callable[[float], None],
) -> None:
    alert = _stored(store, make_alert(), "flaky")
    flaky = ScriptedChannel("flaky", *(NotificationError(f"down #{n}") for n in range(1, 10)))
    dispatcher = Dispatcher(store, {"flaky": flaky}, max_attempts=3, clock=clock)

    history = []
    for wait in (0, 1, 1, 2, 3, 1000):  # due after 0, then 2 s, then 4 s; then it has failed
        advance(wait)
        history.append(dispatcher.run_once())
    assert history == [
        DispatchReport(retrying=1),
        DispatchReport(waiting=1),
        DispatchReport(retrying=1),
        DispatchReport(waiting=1),
        DispatchReport(failed=1),
        DispatchReport(),
    ]
    row = _rows(store, alert)["flaky"]
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "down #3")
    assert flaky.tries == 3


def test_a_channel_attempt_limit_overrides_the_dispatcher_default(
    store: SQLiteStore,
    make_alert: MakeAlert,
    clock: Callable[[], datetime],
    advance: Callable[[float], None],
) -> None:
    alert = _stored(store, make_alert(), "once")
    once = ScriptedChannel("once", NotificationError("timeout"), max_attempts=1)
    assert Dispatcher(store, {"once": once}, max_attempts=10, clock=clock).run_once().failed == 1
    assert _rows(store, alert)["once"].attempts == 1


def test_unknown_channels_and_missing_alerts_fail_with_a_reason(
    store: SQLiteStore, make_alert: MakeAlert, clock: Callable[[], datetime]
) -> None:
    alert = _stored(store, make_alert(), "removed-from-config")
    store.enqueue_notifications("no-such-alert", ["console"])
    console = ScriptedChannel("console")
    report = Dispatcher(store, {"console": console}, clock=clock).run_once()

    assert report == DispatchReport(failed=2)
    assert _rows(store, alert)["removed-from-config"].last_error == "channel is not configured"
    [orphan] = store.list_notifications("no-such-alert")
    assert (orphan.status, orphan.last_error) == ("failed", "alert not found")
    assert console.tries == 0


def test_a_crashing_channel_is_retried_and_does_not_stop_the_others(
    store: SQLiteStore,
    make_alert: MakeAlert,
    clock: Callable[[], datetime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    alert = _stored(store, make_alert(), "buggy", "good")
    channels: dict[str, Channel] = {
        "buggy": ScriptedChannel("buggy", KeyError("host.name")),
        "good": ScriptedChannel("good"),
    }
    with caplog.at_level(logging.ERROR):
        report = Dispatcher(store, channels, clock=clock).run_once()

    assert report == DispatchReport(sent=1, retrying=1)
    rows = _rows(store, alert)
    assert (rows["buggy"].status, rows["buggy"].last_error) == ("pending", "KeyError: 'host.name'")
    assert rows["good"].status == "sent"
    assert "channel buggy crashed sending alert alert-0001" in caplog.text


def test_last_error_is_single_line_and_bounded(
    store: SQLiteStore, make_alert: MakeAlert, clock: Callable[[], datetime]
) -> None:
    alert = _stored(store, make_alert(), "noisy")
    noisy = ScriptedChannel("noisy", PermanentNotificationError("bad\r\n\x1b[2J" + "x" * 5000))
    Dispatcher(store, {"noisy": noisy}, clock=clock).run_once()

    error = _rows(store, alert)["noisy"].last_error
    assert error is not None
    assert error.startswith("bad   [2Jxxx")  # \r \n \x1b became spaces
    assert len(error) == MAX_ERROR_CHARS and error.endswith("…")


class CrashAfterSendStore(SQLiteStore):
    """Dies between a successful send and marking the row, like a process killed there."""

    def mark_notification(self, note: Notification) -> None:
        raise StoreError("disk I/O error")


def test_a_crash_between_send_and_mark_resends_once_after_restart(
    tmp_path: Path, make_alert: MakeAlert, clock: Callable[[], datetime]
) -> None:
    path = f"{tmp_path}/outbox.db"
    alert = make_alert()
    channel = ScriptedChannel("console")

    crashing = CrashAfterSendStore(path)
    _stored(crashing, alert, "console")
    with pytest.raises(StoreError):
        Dispatcher(crashing, {"console": channel}, clock=clock).run_once()
    crashing.close()
    assert channel.delivered == ["alert-0001"]

    restarted = SQLiteStore(path)
    assert Dispatcher(restarted, {"console": channel}, clock=clock).run_once().sent == 1
    assert Dispatcher(restarted, {"console": channel}, clock=clock).run_once().sent == 0
    restarted.close()
    assert channel.delivered == ["alert-0001", "alert-0001"]  # at least once: exactly one repeat


class FlakyReadStore(SQLiteStore):
    """The first outbox read fails, as when the database is briefly locked."""

    failed_once = False

    def pending_notifications(self, limit: int = 100) -> list[Notification]:
        if not self.failed_once:
            self.failed_once = True
            raise StoreError("database is locked")
        return super().pending_notifications(limit)


def test_the_background_thread_survives_store_errors_and_delivers(
    tmp_path: Path, make_alert: MakeAlert, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyReadStore(f"{tmp_path}/outbox.db")
    alert = _stored(store, make_alert(), "console")
    channel = ScriptedChannel("console")
    dispatcher = Dispatcher(store, {"console": channel}, poll_interval=0.01)

    with caplog.at_level(logging.ERROR), dispatcher:
        assert channel.arrived.wait(2)
    store_failures = [r for r in caplog.records if "dispatch pass failed" in r.getMessage()]
    assert len(store_failures) == 1
    assert _rows(store, alert)["console"].status == "sent"
    assert not any(t.name == "canhgac-notify" for t in threading.enumerate())
    store.close()


def test_start_twice_is_an_error_and_stop_is_idempotent(store: SQLiteStore) -> None:
    dispatcher = Dispatcher(store, {}, poll_interval=0.01)
    dispatcher.start()
    with pytest.raises(RuntimeError, match="already started"):
        dispatcher.start()
    dispatcher.stop()
    dispatcher.stop()
