"""SigmaHQ linux rules on raw auditd text, end to end: audit.log lines -> a real file source
(parse, join) -> transport -> indexer -> SQLite -> the rule as the scheduler compiles it.

Each rule needs two records of one audit event (Image from SYSCALL and CommandLine from
EXECVE, Initiated and Image from SYSCALL and DestinationPort from SOCKADDR), so each is also
checked to miss when the same records are stored one by one: the joining is what makes it
fire. The sudoers rule's filter (dpkg's own file) needs Image and TargetFilename together: a
lone PATH record of dpkg's file would be a false alert.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRule, compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.config import FileSourceConfig
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.parse.auditd_join import join_records
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.sources.registry import build
from ingest.transport.memory import MemoryTransport

ROOT = Path(__file__).resolve().parents[2]
SIGMAHQ_LINUX = ROOT.parent / "shared" / "sigmahq-all" / "rules" / "linux"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
END = "2200-01-01T00:00:00.000000Z"

CRONTAB_LIST = [
    "type=SYSCALL msg=audit(1795748430.512:9120): arch=c000003e syscall=59 success=yes exit=0"
    " a0=5581b1c0 a1=5581b1d0 a2=5581b1e0 a3=0 items=2 ppid=8841 pid=8850 auid=4294967295"
    " uid=33 gid=33 euid=33 suid=33 fsuid=33 egid=33 sgid=33 fsgid=33 tty=(none)"
    ' ses=4294967295 comm="crontab" exe="/usr/bin/crontab" subj=unconfined key="exec"',
    'type=EXECVE msg=audit(1795748430.512:9120): argc=3 a0="crontab" a1="-l" a2="-u"',
    'type=CWD msg=audit(1795748430.512:9120): cwd="/var/www/html"',
    'type=PATH msg=audit(1795748430.512:9120): item=0 name="/usr/bin/crontab" inode=1318'
    " dev=08:01 mode=0102755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
    "type=PROCTITLE msg=audit(1795748430.512:9120): proctitle=63726F6E746162002D6C002D75",
    "type=EOE msg=audit(1795748430.512:9120): ",
]
SUDOERS_DROP = [
    "type=SYSCALL msg=audit(1795748600.120:9201): arch=c000003e syscall=257 success=yes exit=3"
    " a0=ffffff9c a1=5612 a2=241 a3=1b6 items=2 ppid=8862 pid=8870 auid=4294967295 uid=0"
    " gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295"
    ' comm="tee" exe="/usr/bin/tee" key="scope"',
    'type=PATH msg=audit(1795748600.120:9201): item=0 name="/etc/sudoers.d/" inode=393'
    " dev=08:01 mode=040750 ouid=0 ogid=0 rdev=00:00 nametype=PARENT",
    'type=PATH msg=audit(1795748600.120:9201): item=1 name="/etc/sudoers.d/www-data"'
    " inode=4120 dev=08:01 mode=0100440 ouid=0 ogid=0 rdev=00:00 nametype=CREATE",
    "type=EOE msg=audit(1795748600.120:9201): ",
]
CALLBACK = [
    "type=SYSCALL msg=audit(1453600330.654:87): arch=c000003e syscall=42 success=no"
    " exit=-115 a0=3 a1=7ffd66128d00 a2=10 a3=7ffd66128920 items=0 ppid=3525 pid=3703"
    " auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0"
    ' ses=4294967295 comm="curl" exe="/usr/bin/curl" key=(null)',
    # 203.0.113.50:4444
    "type=SOCKADDR msg=audit(1453600330.654:87): saddr=0200115CCB0071320000000000000000",
    "type=EOE msg=audit(1453600330.654:87): ",
]
CASES = [
    ("process_creation/proc_creation_lnx_crontab_enumeration.yml", CRONTAB_LIST),
    ("file_event/file_event_lnx_persistence_sudoers_files.yml", SUDOERS_DROP),
    ("network_connection/net_connection_lnx_susp_malware_callback_port.yml", CALLBACK),
]


def compiled(rule_path: Path, tmp_path: Path) -> CompiledRule:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(rule_path, rules / rule_path.name)
    ruleset = compile_rules(
        load_rules(rules), load_pipeline([PIPELINE]), "sqlite", default_interval=timedelta(1)
    )
    assert ruleset.errors == [] and len(ruleset.rules) == 1, ruleset.errors
    return ruleset.rules[0]


def matched(store: SQLiteStore, rule: CompiledRule) -> list[Event]:
    return store.search_events(rule.query, "", END).events


@pytest.mark.parametrize(("rule_file", "lines"), CASES)
def test_sigmahq_rule_fires_on_the_joined_raw_event(
    rule_file: str, lines: list[str], tmp_path: Path
) -> None:
    rule_path = SIGMAHQ_LINUX / rule_file
    if not rule_path.is_file():
        pytest.fail(f"SigmaHQ corpus missing at {rule_path}")
    rule = compiled(rule_path, tmp_path)
    log = tmp_path / "audit.log"
    # An unrelated event first and the rule's event cut in two reads.
    log.write_text("type=DAEMON_START msg=audit(1795748400.000:9000): op=start\n" + lines[0] + "\n")
    store = SQLiteStore(tmp_path / "events.db")
    transport = MemoryTransport(64)
    indexer = Indexer(transport, store, batch_wait=0.01, receive_timeout=0.02)
    config = FileSourceConfig(name="audit", path=str(log), poll_interval="10ms", parser="auditd")
    source = build(config, transport, tmp_path / "state")
    try:
        source.poll()  # type: ignore[attr-defined]
        with log.open("a") as handle:
            handle.write("".join(f"{line}\n" for line in lines[1:]))
        source.poll()  # type: ignore[attr-defined]
        while transport.pending():
            indexer.run_once(timeout=0)
        [hit] = matched(store, rule)
        assert hit.fields["event.original"] == "\n".join(lines)
        assert store.count_events() == 2
    finally:
        source.stop()
        transport.close()
        store.close()


@pytest.mark.parametrize(("rule_file", "lines"), [CASES[0], CASES[2]])
def test_the_same_records_one_by_one_do_not_fire(
    rule_file: str, lines: list[str], tmp_path: Path
) -> None:
    rule = compiled(SIGMAHQ_LINUX / rule_file, tmp_path)
    store = SQLiteStore(tmp_path / "events.db")
    origin = Origin(source="audit", identity="one-by-one", received_at="2026-12-03T00:00:00Z")
    records = [to_record(line.encode(), origin, index) for index, line in enumerate(lines)]
    events = [record for record in records if isinstance(record, Event)]
    assert len(events) == len(lines)
    store.write_events(events)
    try:
        assert matched(store, rule) == []
    finally:
        store.close()


def test_the_sudoers_rule_filter_needs_the_joined_event(tmp_path: Path) -> None:
    rule = compiled(SIGMAHQ_LINUX / CASES[1][0], tmp_path)
    dpkg = [
        line.replace('"tee"', '"dpkg"')
        .replace("/usr/bin/tee", "/usr/bin/dpkg")
        .replace("/etc/sudoers.d/www-data", "/etc/sudoers.d/README.dpkg-new")
        for line in SUDOERS_DROP
    ]
    origin = Origin(source="audit", identity="dpkg", received_at="2026-12-03T00:00:00Z")
    records = [to_record(line.encode(), origin, index) for index, line in enumerate(dpkg)]
    events = [record for record in records if isinstance(record, Event)]
    store = SQLiteStore(tmp_path / "events.db")
    try:
        store.write_events([join_records(events)])
        assert matched(store, rule) == []
        store.write_events(events)  # one by one, the PATH record alone fires
        [lone] = matched(store, rule)
        assert lone.fields["hanoi.auditd.record_type"] == "PATH"
    finally:
        store.close()


USERADD = [
    "type=SYSCALL msg=audit(1795748900.100:9501): arch=c000003e syscall=59 success=yes exit=0"
    " a0=55a1 a1=55a2 a2=55a3 a3=0 items=2 ppid=8862 pid=8900 auid=4294967295 uid=0 gid=0"
    " euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295"
    ' comm="useradd" exe="/usr/sbin/useradd" key="exec"',
    'type=EXECVE msg=audit(1795748900.100:9501): argc=2 a0="useradd" a1="hotro"',
    "type=EOE msg=audit(1795748900.100:9501): ",
]
ARECORD = [
    "type=SYSCALL msg=audit(1795748910.100:9502): arch=c000003e syscall=59 success=yes exit=0"
    " a0=55a1 a1=55a2 a2=55a3 a3=0 items=2 ppid=3001 pid=3030 auid=1001 uid=1001 gid=1001"
    " euid=1001 suid=1001 fsuid=1001 egid=1001 sgid=1001 fsgid=1001 tty=pts0 ses=7"
    ' comm="arecord" exe="/usr/bin/arecord" key="exec"',
    'type=EXECVE msg=audit(1795748910.100:9502): argc=4 a0="arecord" a1="-vv" a2="-fdat"'
    ' a3="ghi-âm.wav"',
    "type=EOE msg=audit(1795748910.100:9502): ",
]


@pytest.mark.parametrize(
    ("rule_file", "lines"),
    [
        ("auditd/syscall/lnx_auditd_create_account.yml", USERADD),  # type: SYSCALL + exe
        ("auditd/lnx_auditd_audio_capture.yml", ARECORD),  # type: EXECVE + a0, a1, a2
    ],
)
def test_sigmahq_auditd_rules_on_either_record_type_match_the_joined_event(
    rule_file: str, lines: list[str], tmp_path: Path
) -> None:
    rule = compiled(SIGMAHQ_LINUX / rule_file, tmp_path)
    origin = Origin(source="audit", identity="joined", received_at="2026-12-03T00:00:00Z")
    records = [to_record(line.encode(), origin, index) for index, line in enumerate(lines)]
    store = SQLiteStore(tmp_path / "events.db")
    try:
        store.write_events([join_records([r for r in records if isinstance(r, Event)])])
        assert len(matched(store, rule)) == 1
    finally:
        store.close()
