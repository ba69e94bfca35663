"""The demo against the real inputs of an instance (syslog UDP/TCP, HTTP, a tailed file, the
indexer and the store, all in this process): every line arrives once, none is dead-lettered.
The clock is moved by hand, so the run takes as long as the instance needs to store it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from canhgac.cli.demo import DemoSender, DemoTargets, run_demo
from canhgac.cli.demo.attacks import SCENARIOS
from canhgac.config import (
    FileSourceConfig,
    HttpSourceConfig,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.sources.base import Source
from ingest.sources.registry import build
from ingest.transport.memory import MemoryTransport


class Instance:
    def __init__(self, tmp_path: Path) -> None:
        self.access_log = tmp_path / "demo" / "dichvucong-access.log"
        self.access_log.parent.mkdir()
        self.access_log.touch()
        self.store = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF")
        self.transport = MemoryTransport()
        self.indexer = Indexer(self.transport, self.store, batch_wait=0.02)
        configs = [
            SyslogUdpSourceConfig(name="syslog-udp", port=0),
            SyslogTcpSourceConfig(name="syslog-tcp", port=0),
            HttpSourceConfig(name="http-json", port=0),
            FileSourceConfig(
                name="portal", path=str(self.access_log), poll_interval=timedelta(milliseconds=50)
            ),
        ]
        self.sources: list[Source] = [build(c, self.transport, tmp_path / "state") for c in configs]
        self.indexer.start()
        for source in self.sources:
            source.start()

    def targets(self) -> DemoTargets:
        udp, tcp, http = (source.address[1] for source in self.sources[:3])  # type: ignore[attr-defined]
        return DemoTargets(
            syslog_port=udp,
            syslog_tcp_port=tcp,
            http_url=f"http://127.0.0.1:{http}/ingest",
            file_path=str(self.access_log),
        )

    def stored(self) -> int:
        """Records stored: a joined audit event holds one line per record."""
        events = self.store.search_events(None, "0", "9", limit=100_000).events
        lines = sum(len(str(e.fields["event.original"]).split("\n")) for e in events)
        return lines + self.store.count_dead_letters()

    def close(self) -> None:
        for source in self.sources:
            source.stop()
        self.indexer.stop()
        self.transport.close()
        self.store.close()


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    running = Instance(tmp_path)
    yield running
    running.close()


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


def test_demo_lines_reach_the_store_through_every_input(instance: Instance) -> None:
    fake = FakeTime()
    with DemoSender(instance.targets()) as sender:
        planted = run_demo(
            sender.targets, 6.0, 5.0, 77, clock=fake.clock, wait=fake.wait, sender=sender
        )
    sent = sum(sender.sent.values())
    deadline = time.monotonic() + 10.0
    while instance.stored() < sent and time.monotonic() < deadline:
        time.sleep(0.05)

    assert [attack.key for attack in planted] == [scenario.key for scenario in SCENARIOS]
    assert min(sender.sent.values()) > 0 and len(sender.sent) == 4
    assert instance.store.list_dead_letters() == []
    events = instance.store.search_events(None, "0", "9", limit=100_000).events
    # A joined audit event's original is its records' lines, one per line.
    originals = Counter(
        line for event in events for line in str(event.fields["event.original"]).split("\n")
    )
    # each planted line stored once and byte for byte (JSON included: the HTTP source
    # re-serializes objects compactly, as the demo writes them)
    assert all(originals[line.text] == 1 for attack in planted for line in attack.lines)
    assert sum(originals.values()) == sent
    datasets = Counter(str(event.fields["event.dataset"]) for event in events)
    assert {"nginx.access", "system.auth", "auditd.log", "fortinet.firewall"} <= set(datasets)
