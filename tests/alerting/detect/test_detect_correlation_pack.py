"""The correlation rules and exceptions shipped under rules/: they compile, are documented,
cover the use cases the city asked for, and have scenario fixtures of the right shape (running
them is `canhgac rules test`'s job, see tests/canhgac/cli/test_cli_rules.py)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerting.detect.correlation.run import CorrelationQuery
from alerting.detect.detector import load_detection
from alerting.detect.load.suppressions import load_suppressions
from canhgac.config import DetectionConfig

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
CASE_KEYS = ({"parser", "line"}, {"fields"})
REPEAT_KEYS = {"repeat", "every"}


def correlation_paths() -> list[Path]:
    return sorted(
        path
        for path in RULES.rglob("*.yml")
        if not path.name.endswith(".tests.yml")
        and "correlation" in (yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    )


PATHS = correlation_paths()


@pytest.fixture(scope="module")
def compiled() -> Any:
    config = DetectionConfig(rules_dir=str(RULES), pipeline=[str(RULES / "pipelines" / "ecs.yml")])
    return load_detection(config, "sqlite", today=date(2026, 11, 28))


def test_the_pack_compiles_every_correlation(compiled: Any) -> None:
    assert [str(e) for e in compiled.errors] == []
    correlations = {
        r.id: r.query
        for r in [*compiled.rules, *compiled.correlation_inputs]
        if isinstance(r.query, CorrelationQuery)
    }
    ids = {str(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]) for p in PATHS}
    assert set(correlations) == ids and len(ids) >= 7


def test_the_requested_detections_ship(compiled: Any) -> None:
    shapes = {
        (q.root.spec.kind, q.root.spec.group_by, tuple(b.op for b in q.root.spec.bounds))
        for r in compiled.rules
        if isinstance(q := r.query, CorrelationQuery)
    }
    assert ("event_count", ("source.ip",), ("gte",)) in shapes  # SSH/portal brute force per source
    assert ("event_count", ("user.name",), ("gte",)) in shapes  # per account
    assert ("value_count", ("source.ip",), ("gte",)) in shapes  # spraying, distinct paths
    assert ("temporal_ordered", ("source.ip", "user.name"), ("gte",)) in shapes


def test_base_rules_that_only_feed_correlations_do_not_alert(compiled: Any) -> None:
    silent = {r.title for r in compiled.correlation_inputs}
    assert silent == {
        "SSH Login Accepted",
        "Repeated SSH Failures for One Account From One Source",
        "Web Request for a Missing Resource",
    }
    scheduled = {r.title for r in compiled.rules}
    # Referenced with generate: true, the single-failure rules keep alerting (the demo counts on it).
    assert {
        "SSH Password Authentication Failed",
        "SSH Login Attempt for a Non-Existent User",
    } <= scheduled


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_correlation_metadata(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert uuid.UUID(raw["id"]).version == 4
    assert raw["author"] == "Canh Gác" and raw["level"] and raw["status"] and raw["date"]
    assert raw["references"] and raw["falsepositives"] and raw["tags"]
    english, separator, vietnamese = raw["description"].partition(" / ")
    assert separator and english.startswith(("Detects ", "Collects ")) and not vietnamese.isascii()
    assert "logsource" not in raw and "detection" not in raw


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_correlation_fixtures_are_scenarios(path: Path) -> None:
    fixture = path.with_name(path.stem + ".tests.yml")
    data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    assert set(data) == {"rule", "must_fire", "must_not_fire"} and data["rule"] == path.name
    for block in ("must_fire", "must_not_fire"):
        assert data[block], block
        for scenario in data[block]:
            assert isinstance(scenario, list) and scenario
            for case in scenario:
                assert set(case) - REPEAT_KEYS in CASE_KEYS, case


def test_the_shipped_exceptions_load_and_name_existing_rules(compiled: Any) -> None:
    exceptions = load_suppressions(RULES / "exceptions")
    assert exceptions.errors == [] and exceptions.suppressions
    known = {r.id for r in [*compiled.rules, *compiled.correlation_inputs]}
    assert all(set(e.suppression.rules) <= known for e in exceptions.suppressions)
