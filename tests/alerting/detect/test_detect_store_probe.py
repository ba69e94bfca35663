"""A query the store rejects is refused before it is scheduled (store_probe), on SQLite.

SQLite prepares the whole statement whatever the window, so an unknown SQL function in a
rule's WHERE fragment is the kind of refusal every probe must catch; the same path on a real
Elasticsearch node is in tests/integration/test_store_probe_on_elasticsearch.py.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerting.detect.compile.rules import CompiledRuleSet
from alerting.detect.detector import build_scheduler, load_detection
from alerting.detect.store_probe import REFUSAL, probe_rules, refuse_rejected
from canhgac.config import AlertingConfig, DetectionConfig
from canhgac.models import RuleState
from canhgac.store.sqlite.store import SQLiteStore

BAD_ID = "5b3f1b0e-0000-4000-8000-0000000000bb"
GOOD_ID = "5b3f1b0e-0000-4000-8000-0000000000aa"


def _two_rules(kit: Any) -> tuple[CompiledRuleSet, Path]:
    rules_dir = kit.write_rules(
        {
            "good.yml": kit.rule_text("sel:\n  user.name: root\ncondition: sel", rule_id=GOOD_ID),
            "bad.yml": kit.rule_text("sel:\n  user.name: admin\ncondition: sel", rule_id=BAD_ID),
        }
    )
    compiled = kit.compile_dir(rules_dir)
    # A WHERE fragment SQLite cannot prepare (what a compiler bug or a store limit yields).
    compiled.rules = [
        replace(rule, query="no_such_function(original) = 1") if rule.id == BAD_ID else rule
        for rule in compiled.rules
    ]
    return compiled, rules_dir


def test_a_query_sqlite_cannot_prepare_is_refused_with_its_reason(
    kit: Any, store: SQLiteStore
) -> None:
    compiled, rules_dir = _two_rules(kit)

    result = refuse_rejected(compiled, store, datetime.now(UTC))

    assert list(result.refused) == [BAD_ID]
    assert "no such function: no_such_function" in result.refused[BAD_ID]
    assert [rule.id for rule in compiled.rules] == [GOOD_ID]
    [error] = compiled.errors
    assert error.path == str(rules_dir / "bad.yml")
    assert error.line == 8  # the rule's detection: line
    assert str(error).startswith(f"{rules_dir / 'bad.yml'}:8: {REFUSAL}: ")


def test_the_probe_reads_a_tiny_window_on_sqlite(kit: Any, store: SQLiteStore) -> None:
    compiled, _ = _two_rules(kit)
    store.write_events([kit.event("e1", user__name="root")])
    # The stored event is in the past: a one-second window at "now" on a far-off day misses it,
    # and the good rule is still accepted (nothing refused but the bad one).
    result = probe_rules(compiled.rules, store, datetime(2030, 1, 1, tzinfo=UTC))
    assert list(result.refused) == [BAD_ID]


def test_the_scheduler_never_schedules_a_rejected_rule_and_keeps_why(
    kit: Any, store: SQLiteStore, clock: Any
) -> None:
    compiled, rules_dir = _two_rules(kit)
    # The bad rule ran before (it has a watermark): its state keeps the watermark and says why.
    store.save_rule_states([RuleState(rule_id=BAD_ID, watermark="2026-03-01T00:00:00.000000Z")])
    config = DetectionConfig(rules_dir=str(rules_dir), pipeline=[str(kit.pipeline_path)])

    scheduler = build_scheduler(
        compiled, store, config, AlertingConfig(), clock=clock, reload_every=None
    )

    assert list(scheduler.rules) == [GOOD_ID]
    assert [status.rule_id for status in scheduler.status()] == [GOOD_ID]
    state = store.get_rule_state(BAD_ID)
    assert state is not None
    assert state.watermark == "2026-03-01T00:00:00.000000Z"
    assert state.last_error is not None
    assert state.last_error.startswith(f"{REFUSAL}: ")
    assert "no such function" in state.last_error
    assert any(REFUSAL in str(error) for error in compiled.errors)


def test_a_real_sigmahq_rule_sqlite_rejects_is_refused(tmp_path: Path, store: SQLiteStore) -> None:
    # SigmaHQ's vulnerable-driver rule: thousands of hashes in one OR, deeper than SQLite's
    # expression limit. It converts, and SQLite refuses it only when asked to run it.
    corpus = Path(__file__).resolve().parents[4] / "shared" / "sigmahq-all"
    source = corpus / "rules" / "windows" / "driver_load" / "driver_load_win_vuln_drivers.yml"
    assert source.is_file(), f"{source} is missing"
    (tmp_path / "rules").mkdir()
    shutil.copyfile(source, tmp_path / "rules" / source.name)
    pipeline = Path(__file__).resolve().parents[3] / "rules" / "pipelines" / "ecs.yml"
    compiled = load_detection(
        DetectionConfig(rules_dir=str(tmp_path / "rules"), pipeline=[str(pipeline)]), "sqlite"
    )
    assert len(compiled.rules) == 1 and compiled.errors == []

    result = refuse_rejected(compiled, store, datetime.now(UTC))

    assert list(result.refused.values()) == [
        "SQLite query failed: Expression tree is too large (maximum depth 1000)"
    ]
    assert compiled.rules == []
    assert f"{source.name}:18: {REFUSAL}: SQLite query failed: Expression tree" in str(
        compiled.errors[0]
    )
