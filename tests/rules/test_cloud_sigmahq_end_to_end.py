"""SigmaHQ's cloud rules fire on the records of AWS CloudTrail, Azure (sign-in and activity
logs), Google Cloud audit, Google Workspace and Microsoft 365, through the real parsers,
rules/pipelines/ecs.yml and SQLite; a neighbouring record of the same log stays quiet.
(Elasticsearch: tests/integration/test_cloud_sigmahq_on_elasticsearch.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.store.sqlite.store import SQLiteStore
from tests.support.cloud_rule_cases import CASES, END, Case, compiled, events


@pytest.mark.parametrize("case", CASES, ids=lambda case: Path(case.rule).stem)
def test_a_sigmahq_cloud_rule_fires_on_its_record_only(case: Case, tmp_path: Path) -> None:
    ruleset = compiled(case, "sqlite", tmp_path)
    assert ruleset.errors == [] and len(ruleset.rules) == 1, ruleset.errors
    quiet, fires = events(case)
    store = SQLiteStore(tmp_path / "events.db")
    try:
        store.write_events([quiet, fires])
        hits = store.search_events(ruleset.rules[0].query, "", END).events
        assert [hit.id for hit in hits] == [fires.id]
    finally:
        store.close()
