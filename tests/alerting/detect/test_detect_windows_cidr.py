"""A SigmaHQ-style ``IpAddress|cidr`` rule with IPv6 networks runs on Windows events through
the rule pack's pipeline: the |cidr match compares the typed ``source.ip`` the parser fills
(IPv4-mapped addresses written as IPv4), while a plain match (``IpAddress: '-'``) keeps
comparing the raw event data value."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.detector import load_detection
from canhgac.config import DetectionConfig, ElasticsearchStoreConfig
from canhgac.models import Event
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso, utcnow
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from tests.support.windows_events import EVENTS, SHAPES, WinEvent

ROOT = Path(__file__).resolve().parents[3]
RULE = """
title: Logon from a watched network
id: 5c0d3b6e-2a1e-4f7a-9c51-0e7d2d9c1a01
status: test
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4624
    IpAddress|cidr: ['2001:db8:10::/48', '198.51.100.0/24']
  filter:
    IpAddress: '-'
  condition: selection and not filter
level: high
"""


def _elasticsearch() -> Iterator[Store]:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail("CANHGAC_TEST_ES_URL is not set", pytrace=False)
    config = ElasticsearchStoreConfig(hosts=[url], index_prefix=f"cgt-{uuid.uuid4().hex[:10]}")
    s = ElasticsearchStore(config)
    try:
        yield s
    finally:
        s.delete_indices()
        s.close()


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "elasticsearch":
        yield from _elasticsearch()
        return
    s = SQLiteStore(tmp_path / "canhgac.db")
    yield s
    s.close()


def _logon(address: str, user: str) -> WinEvent:
    base = EVENTS["4624"]
    return WinEvent(base.channel, base.provider, 4624, {**base.data, "IpAddress": address,
                    "TargetUserName": user}, keywords=base.keywords)  # fmt: skip


def test_ipv6_cidr_rule_fires_on_the_typed_address(store: Store, tmp_path: Path) -> None:
    now = to_iso(utcnow())
    events: list[Event] = []
    logons = {
        "v6": "2001:db8:10::25",
        "mapped": "::ffff:198.51.100.7",
        "outside": "2001:db8:99::1",
        "none": "-",
    }
    for position, (user, address) in enumerate(logons.items()):
        text = SHAPES["winlogbeat8"](_logon(address, user)).replace("2024-03-05T07:02:11.482Z", now)
        record = to_record(text.encode(), Origin("http", "t", now, parser="json"), position)
        assert isinstance(record, Event), record
        events.append(record)
    store.write_events(events)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "watched.yml").write_text(RULE, encoding="utf-8")
    config = DetectionConfig(
        rules_dir=str(rules_dir),
        pipeline=[str(ROOT / "rules" / "pipelines" / "ecs.yml")],
        default_interval=timedelta(minutes=10),
    )
    rules = load_detection(config, store.query_language)
    assert rules.errors == []
    (rule,) = rules.rules
    found = store.search_events(rule.query, "", "2200-01-01T00:00:00.000000Z").events
    assert sorted(event.fields["user.name"] for event in found) == ["mapped", "v6"]
