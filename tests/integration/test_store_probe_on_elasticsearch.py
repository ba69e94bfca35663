"""A query a real Elasticsearch node rejects is refused before it is scheduled.

The probe must search a window that holds events: the node skips a shard whose
``event.ingested`` range misses the window before it builds the query, so a tiny window would
let the rejected query through (checked here, so the probe window cannot silently shrink).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRuleSet, compile_rules
from alerting.detect.load.ruleset import load_rules
from alerting.detect.store_probe import REFUSAL, refuse_rejected
from canhgac.models import Event
from canhgac.store.base import EventSearch
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.timeutil import to_iso

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
GOOD_ID = "5b3f1b0e-0000-4000-8000-0000000000aa"
BAD_ID = "5b3f1b0e-0000-4000-8000-0000000000bb"
# "an 'a' 20 characters before the end": its DFA has 2^20 states, far over the node's limit.
EXPLODING = {"regexp": {"message": {"value": ".*a.{20}"}}}


def _rule(rule_id: str, user: str) -> str:
    return (
        f"title: Rule {user}\nid: {rule_id}\nstatus: test\nlevel: high\n"
        "logsource:\n  product: linux\n  service: auth\n"
        f"detection:\n  sel:\n    User: {user}\n  condition: sel\n"
    )


def _compiled(tmp_path: Path) -> CompiledRuleSet:
    (tmp_path / "good.yml").write_text(_rule(GOOD_ID, "root"), encoding="utf-8")
    (tmp_path / "bad.yml").write_text(_rule(BAD_ID, "admin"), encoding="utf-8")
    compiled = compile_rules(
        load_rules(tmp_path),
        load_pipeline([PIPELINE]),
        "elasticsearch",
        default_interval=timedelta(minutes=1),
    )
    assert compiled.errors == [], [str(e) for e in compiled.errors]
    compiled.rules = [
        replace(rule, query=EXPLODING) if rule.id == BAD_ID else rule for rule in compiled.rules
    ]
    return compiled


def test_a_query_the_node_rejects_is_refused_with_the_nodes_reason(
    es_store: ElasticsearchStore, tmp_path: Path
) -> None:
    es_store.write_events([Event("one", {"@timestamp": "2026-11-27T10:00:00.000000Z"})])
    compiled = _compiled(tmp_path)

    result = refuse_rejected(compiled, es_store, datetime.now(UTC))

    assert list(result.refused) == [BAD_ID]
    assert "Determinizing automaton" in result.refused[BAD_ID]
    assert [rule.id for rule in compiled.rules] == [GOOD_ID]
    [error] = compiled.errors
    assert f"bad.yml:8: {REFUSAL}: " in str(error)


def test_a_tiny_window_would_not_show_the_rejection(es_store: ElasticsearchStore) -> None:
    es_store.write_events([Event("one", {"@timestamp": "2026-11-27T10:00:00.000000Z"})])
    now = datetime.now(UTC) + timedelta(days=1)
    tiny = EventSearch(EXPLODING, to_iso(now - timedelta(seconds=1)), to_iso(now))
    [answer] = es_store.search_events_batch([tiny])
    assert not isinstance(answer, Exception)
