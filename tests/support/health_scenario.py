"""A day in the life of four log sources, for data-health tests on every store.

Hour ``H`` (2026-03-10 03:00 UTC, 10:00 in Hanoi) is judged against the three hours before it:

- ``ecab-web01`` (syslog-tcp from 10.0.0.11): healthy, one sshd login a minute, numbered;
- ``ecab-db01`` (syslog-tcp from 10.0.0.12): 30 sshd lines an hour, understood until H, when
  sshd starts writing a format the auth parser does not know (0 % understood, was 100 %);
  the same sender also sends 8 records in H that become dead letters;
- ``ecab-app01`` (syslog-udp from 10.0.0.13): 20 lines an hour; in H its clock is 20 minutes
  behind (and two lines are stamped 10 minutes ahead);
- ``ecab-mail01`` (syslog-tcp from 10.0.0.14): one line a minute, silent from H on;
- ``ecab-log01`` (syslog-tcp from 10.0.0.15): appears in H with sequence numbers 1-10 less 4
  and 7.

Events go through the real parsers (:func:`ingest.parse.record.to_record`); the store's
``event.ingested`` clock is the scenario's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from canhgac.models import DeadLetter, Event
from canhgac.store.base import Store
from canhgac.timeutil import to_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record

H = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
ACCEPTED = "Accepted password for an from 10.0.0.9 port 5555 ssh2"
UNKNOWN = "Phiên đăng nhập mới của nguyễn từ 10.0.0.9 cổng 5555"


class Clock:
    """The store's and the monitor's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def iso(self) -> str:
        return to_iso(self.now)


@dataclass(order=True)
class Planned:
    ingested: datetime
    position: int
    source: str = field(compare=False)
    peer: str = field(compare=False)
    raw: bytes = field(compare=False)


def sshd(stamp: datetime, host: str, message: str, sequence: int | None = None) -> bytes:
    data = f'[meta sequenceId="{sequence}"]' if sequence is not None else "-"
    return f"<38>1 {to_iso(stamp)} {host} sshd 4242 - {data} {message}".encode()


def plan() -> list[Planned]:
    lines: list[Planned] = []

    def add(at: datetime, source: str, peer: str, raw: bytes) -> None:
        lines.append(Planned(at, len(lines), source, peer, raw))

    start = H - 3 * HOUR
    for minute in range(4 * 60):  # web01: H-3h .. H+59m, 2 s late, numbered
        at = start + minute * MINUTE + timedelta(seconds=30)
        add(
            at,
            "syslog-tcp",
            "10.0.0.11",
            sshd(at - timedelta(seconds=2), "ecab-web01", ACCEPTED, minute + 1),
        )
    for hour in range(4):  # db01: 30 an hour, 1 s late; unknown format in H
        for index in range(30):
            at = start + hour * HOUR + index * 2 * MINUTE + timedelta(seconds=10)
            message = UNKNOWN if hour == 3 else ACCEPTED
            add(
                at, "syslog-tcp", "10.0.0.12", sshd(at - timedelta(seconds=1), "ecab-db01", message)
            )
    for hour in range(4):  # app01: 20 an hour; in H 20 minutes behind, two 10 minutes ahead
        for index in range(22 if hour == 3 else 20):
            at = start + hour * HOUR + index * 2 * MINUTE + timedelta(seconds=20)
            stamp = at - timedelta(seconds=1)
            if hour == 3:
                stamp = at + 10 * MINUTE if index >= 20 else at - 20 * MINUTE
            add(at, "syslog-udp", "10.0.0.13", sshd(stamp, "ecab-app01", ACCEPTED))
    for minute in range(3 * 60):  # mail01: one a minute until H
        at = start + minute * MINUTE + timedelta(seconds=40)
        add(at, "syslog-tcp", "10.0.0.14", sshd(at - timedelta(seconds=1), "ecab-mail01", ACCEPTED))
    for sequence in (1, 2, 3, 5, 6, 8, 9, 10):  # log01: numbers 4 and 7 lost
        at = H + sequence * MINUTE + timedelta(seconds=50)
        add(
            at,
            "syslog-tcp",
            "10.0.0.15",
            sshd(at - timedelta(seconds=1), "ecab-log01", ACCEPTED, sequence),
        )
    for index in range(6):  # binary garbage from db01's sender
        at = H + (index + 1) * 5 * MINUTE + timedelta(seconds=15)
        add(at, "syslog-tcp", "10.0.0.12", b"\x00\x01\x02\xff\xfe" * 8)
    return sorted(lines)


def too_long(index: int, at: datetime) -> DeadLetter:
    """A dead letter as the TCP source makes it for an oversized frame."""
    return DeadLetter(
        id=f"too-long-{index}",
        source="syslog-tcp",
        reason="frame exceeds 1048576 bytes",
        raw=b"<38>1 " + b"A" * 100,
        received_at=to_iso(at),
        context={"identity": "syslog-tcp:test", "peer": "10.0.0.12:40022"},
    )


def load(store: Store, clock: Clock, *, until: datetime | None = None) -> None:
    """Write the scenario into ``store`` (records arriving before ``until``, if given)."""
    for item in plan():
        if until is not None and item.ingested >= until:
            break
        clock.now = item.ingested
        origin = Origin(
            source=item.source,
            identity=f"{item.source}:{item.peer}",
            received_at=to_iso(item.ingested),
            peer=f"{item.peer}:40022",
        )
        record = to_record(item.raw, origin, item.position)
        if isinstance(record, Event):
            store.write_events([record])
        else:
            store.write_dead_letters([record])
    if until is None or until > H + 30 * MINUTE:
        store.write_dead_letters([too_long(i, H + (40 + i) * MINUTE) for i in range(2)])


StoreFactory = Callable[[Callable[[], str]], Store]
