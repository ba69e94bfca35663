"""The demo's promise, checked through the real parsers, store, rule pack and engine: every
planted attack is caught by the rules it names, and the benign stream raises nothing else.

Lines are parsed with the parser each input uses by default (syslog ``auto``, HTTP ``json``,
a file source ``auto``) and stored directly, which is what the sources and the indexer do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.detector import load_detection
from alerting.detect.run.engine import DetectionEngine
from canhgac.cli.demo.attacks import SCENARIOS
from canhgac.cli.demo.generator import DemoStream
from canhgac.cli.demo.model import Channel
from canhgac.cli.demo.report import build_outcome
from canhgac.config import (
    DetectionConfig,
    FileSourceConfig,
    HttpSourceConfig,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.models import DeadLetter
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso, utcnow
from ingest.parse.auditd_join import AuditJoiner, is_joinable
from ingest.parse.base import Origin
from ingest.parse.record import to_record

ROOT = Path(__file__).resolve().parents[4]
PARSERS = {
    Channel.syslog_udp: SyslogUdpSourceConfig(name="udp").parser,
    Channel.syslog_tcp: SyslogTcpSourceConfig(name="tcp").parser,
    Channel.http: HttpSourceConfig(name="http").parser,
    Channel.file: FileSourceConfig(name="portal", path="demo.log").parser,
}
STREAM_S = 90.0  # one round of attacks and a minute and a half of ordinary traffic


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db")
    yield s
    s.close()


def test_every_planted_attack_is_caught_and_nothing_else_fires(store: SQLiteStore) -> None:
    start = utcnow()
    stream = DemoStream(2026, 20.0, start)
    events, planted = [], []
    joiner: AuditJoiner[int] = AuditJoiner()
    for position, emission in enumerate(itertools.takewhile(lambda e: e.at_s < STREAM_S, stream)):
        channel = emission.line.channel
        origin = Origin(
            source=channel.value,
            identity="demo",
            received_at=to_iso(start),
            parser=PARSERS.get(channel),
        )
        record = to_record(emission.line.text.encode("utf-8"), origin, position)
        assert not isinstance(record, DeadLetter), (record.reason, emission.line.text)
        if is_joinable(record):  # audit records, joined as the collector joins them
            events.extend(joined.event for joined in joiner.add(record, 0))
        else:
            events.append(record)
        if emission.planted is not None:
            planted.append(emission.planted)
    events.extend(joined.event for joined in joiner.drain())
    store.write_events(events)
    config = DetectionConfig(
        rules_dir=str(ROOT / "rules"),
        pipeline=[str(ROOT / "rules" / "pipelines" / "ecs.yml")],
        default_interval=timedelta(minutes=10),
    )
    rules = load_detection(config, store.query_language)
    assert rules.errors == []
    engine = DetectionEngine(store, config, clock=lambda: utcnow() + timedelta(seconds=10))
    for rule in rules.rules:
        assert engine.run_rule(rule).error is None

    outcome = build_outcome(store, planted, to_iso(start))

    assert [attack.key for attack in outcome.attacks] == [s.key for s in SCENARIOS]
    assert [attack.key for attack in outcome.missed] == []
    assert [(a.rule_path, a.snapshot) for a in outcome.unexpected] == []
