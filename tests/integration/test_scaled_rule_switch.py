"""A rule switched off from another process (the web role's store) on the real Elasticsearch
node: the detector's next tick obeys it, with no restart, and switched back on the rule
resumes from that moment; what was ingested while it was off is never searched."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import load_rules
from alerting.detect.run.engine import DetectionEngine
from canhgac.config import DetectionConfig, ElasticsearchStoreConfig
from canhgac.models import AlertFilter, Event, RuleSwitch
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.timeutil import now_iso

pytestmark = pytest.mark.integration
PIPELINE = Path(__file__).resolve().parents[1] / "alerting/detect/fixtures/pipelines/ecs_test.yml"
RULE = """\
title: Bob logs in
id: 5b3f1b0e-0000-4000-8000-0000000000bb
status: test
level: high
logsource: {product: canhgac, service: test}
detection: {sel: {user.name: bob}, condition: sel}
"""


def _event(event_id: str) -> Event:
    return Event(
        event_id,
        {
            "@timestamp": now_iso(),
            "event.dataset": "test",
            "user.name": "bob",
            "event.original": f"line {event_id}",
        },
    )


def _switch(rule_id: str, enabled: bool) -> RuleSwitch:
    reason = "đã sửa" if enabled else "báo động giả"
    return RuleSwitch(
        rule_id=rule_id, enabled=enabled, reason=reason, actor="lan", changed_at=now_iso()
    )


def _settle(store: ElasticsearchStore) -> None:
    """Until the writers' marks (published about every second) pass what was written so far:
    detection's windows end there."""
    written = now_iso()
    deadline = time.monotonic() + 15
    while (store.settled_before() or "") <= written:
        assert time.monotonic() < deadline, "the writer marks never passed the last write"
        time.sleep(0.1)


def test_a_switch_made_elsewhere_is_obeyed_at_the_next_tick(
    es_store: ElasticsearchStore, tmp_path: Path
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bob.yml").write_text(RULE, encoding="utf-8")
    compiled = compile_rules(
        load_rules(tmp_path / "rules"),
        load_pipeline([PIPELINE]),
        "elasticsearch",
        default_interval=timedelta(minutes=1),
    )
    [rule] = compiled.rules
    web = ElasticsearchStore(
        ElasticsearchStoreConfig(
            hosts=[os.environ["CANHGAC_TEST_ES_URL"]], index_prefix=es_store.names.prefix
        )
    )
    engine = DetectionEngine(es_store, DetectionConfig(ingest_delay=timedelta(seconds=0)))
    try:
        es_store.write_events([_event("before")])
        _settle(es_store)
        assert engine.run_rule(rule).alerts_created == 1

        web.save_rule_switch(_switch(rule.id, False))
        _settle(es_store)
        es_store.write_events([_event("while-off")])
        _settle(es_store)
        off = engine.run_rule(rule)
        assert off.disabled and off.alerts_created == 0

        web.save_rule_switch(_switch(rule.id, True))
        _settle(es_store)
        es_store.write_events([_event("after-on")])
        _settle(es_store)
        on = engine.run_rule(rule)
        assert not on.disabled and on.alerts_created == 1
    finally:
        web.close()
    alerts = es_store.list_alerts(AlertFilter(limit=100))
    assert sorted(e for a in alerts for e in a.event_ids) == ["after-on", "before"]
