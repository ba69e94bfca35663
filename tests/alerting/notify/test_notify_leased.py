"""One dispatcher sends at a time, however many detector processes run one."""

from __future__ import annotations

from collections.abc import Callable

from alerting.notify.channel import Channel
from alerting.notify.leased import LEASE, LeasedDispatcher
from canhgac.config import ConsoleChannelConfig
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore


class Recorder(Channel):
    config_type = ConsoleChannelConfig

    def __init__(self) -> None:
        super().__init__(ConsoleChannelConfig(name="rec"))
        self.sent: list[str] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert.id)


def test_only_the_lease_holder_sends_and_a_stopped_holder_hands_over(
    store: SQLiteStore, make_alert: Callable[..., Alert]
) -> None:
    alert = make_alert()
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, ["rec"])
    first, second = Recorder(), Recorder()
    one = LeasedDispatcher(store, {"rec": first}, owner="det-1")
    two = LeasedDispatcher(store, {"rec": second}, owner="det-2")

    assert store.acquire_lease(LEASE, "det-1", 60)  # det-1 is the active dispatcher
    assert two.run_once().sent == 0 and second.sent == []
    one.stop()  # hands the lease over
    assert two.run_once().sent == 1 and second.sent == [alert.id]
    assert one.run_once().sent == 0  # det-2 holds it now
    assert first.sent == [] and store.pending_notifications() == []
