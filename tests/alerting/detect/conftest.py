"""Fixtures shared by the detection tests: a real SQLite store, a hand-moved clock and a
``kit`` of helpers (events, inline rules, compiling, searching). Tests run with
``--import-mode=importlib``, so helpers are shared as fixtures, not imports."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet, compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

FIXTURES = Path(__file__).parent / "fixtures"
EPOCH = "2000-01-01T00:00:00.000000Z"
FAR_FUTURE = "2999-01-01T00:00:00.000000Z"


class ManualClock:
    """A clock the test moves by hand; starts at the real time so windows see stored events.
    The store stamps ``event.ingested`` from it too (:meth:`iso`), as it does from the one
    wall clock in production: its settled time bounds the detection windows."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def iso(self) -> str:
        return to_iso(self.now)


class DetectKit:
    fixtures = FIXTURES
    pipeline_path = FIXTURES / "pipelines" / "ecs_test.yml"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    @staticmethod
    def event(event_id: str, fields: dict[str, Any] | None = None, **more: Any) -> Event:
        """A test event in dataset ``test``; ``more`` uses ``__`` for dots."""
        doc: dict[str, Any] = {
            "@timestamp": "2026-03-01T10:00:00.000000Z",
            "event.dataset": "test",
            "event.original": f"original line of {event_id}",
        }
        doc.update(fields or {})
        doc.update({name.replace("__", "."): value for name, value in more.items()})
        return Event(event_id, doc)

    @staticmethod
    def rule_text(
        detection: str,
        *,
        rule_id: str = "5b3f1b0e-0000-4000-8000-000000000001",
        logsource: str = "product: canhgac\n  service: test",
        extra: str = "",
        level: str = "high",
    ) -> str:
        """A complete Sigma rule around a detection block (given without indentation)."""
        body = textwrap.indent(textwrap.dedent(detection).strip(), "  ")
        return (
            f"title: Test rule\nid: {rule_id}\nstatus: test\nlevel: {level}\n"
            f"logsource:\n  {logsource}\n{extra}detection:\n{body}\n"
        )

    def pipeline(self) -> ProcessingPipeline:
        return load_pipeline([self.pipeline_path])

    def compile_dir(
        self, rules_dir: Path, pipeline: ProcessingPipeline | None = None
    ) -> CompiledRuleSet:
        return compile_rules(
            load_rules(rules_dir),
            pipeline if pipeline is not None else self.pipeline(),
            "sqlite",
            default_interval=timedelta(minutes=1),
        )

    def write_rules(self, rules: dict[str, str], folder: str = "rules") -> Path:
        rules_dir = self.tmp_path / folder
        rules_dir.mkdir(exist_ok=True)
        for name, text in rules.items():
            path = rules_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return rules_dir

    def compile_text(self, text: str, name: str = "rule.yml") -> CompiledRule:
        """Compile one inline rule; fails the test on any rule error."""
        folder = f"rules-{len(list(self.tmp_path.glob('rules-*')))}"
        compiled = self.compile_dir(self.write_rules({name: text}, folder))
        assert compiled.errors == [], [str(error) for error in compiled.errors]
        [rule] = compiled.rules
        return rule

    @staticmethod
    def matching_ids(store: SQLiteStore, query: str) -> set[str]:
        page = store.search_events(query, EPOCH, FAR_FUTURE, limit=100_000)
        return {found.id for found in page.events}


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db", now=clock.iso)
    yield s
    s.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kit(tmp_path: Path) -> DetectKit:
    return DetectKit(tmp_path)
