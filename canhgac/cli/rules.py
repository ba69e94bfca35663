"""`canhgac rules check` and `canhgac rules test`: what a rule author runs before shipping.

``test`` runs each rule's fixture events through the production code: the real parser, the
real store (a temporary SQLite database) and the rule's query as the scheduler compiles it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alerting.detect.compile import CompiledRule, CompiledRuleSet
from alerting.detect.service import load_detection
from canhgac.config import Settings
from canhgac.models import DeadLetter, Event, event_id
from canhgac.store.sqlite import SQLiteStore
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record

FIXTURE_SUFFIX = ".tests.yml"


def _compile(settings: Settings, path: Path | None) -> CompiledRuleSet:
    detection = settings.detection
    if path is not None:
        detection = detection.model_copy(update={"rules_dir": str(path)})
    return load_detection(detection, SQLiteStore.query_language)


def check_rules(settings: Settings, path: Path | None, console: Console) -> int:
    compiled = _compile(settings, path)
    for error in compiled.errors:
        _line(console, str(error))
    for warning in compiled.warnings:
        _line(console, f"warning: {warning}")
    table = Table(title="rules check")
    table.add_column("loaded and converted", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    table.add_row(str(len(compiled.rules)), str(len(compiled.errors)), str(len(compiled.warnings)))
    console.print(table)
    return 1 if compiled.errors else 0


@dataclass
class FixtureResult:
    rule: CompiledRule
    failures: list[str] = field(default_factory=list)
    cases: int = 0


def run_rule_tests(settings: Settings, path: Path | None, console: Console) -> int:
    compiled = _compile(settings, path)
    for error in compiled.errors:
        _line(console, str(error))
    results = []
    untested = []
    with tempfile.TemporaryDirectory(prefix="canhgac-rules-test-") as tmp:
        store = SQLiteStore(Path(tmp) / "fixtures.db", synchronous="OFF")
        try:
            for rule in compiled.rules:
                fixture = _fixture_path(rule)
                if not fixture.exists():
                    untested.append(rule)
                    continue
                results.append(run_fixture(rule, fixture, store))
        finally:
            store.close()
    failed = [r for r in results if r.failures]
    for result in failed:
        console.print(
            f"[red]FAIL[/red] {escape(str(result.rule.source.path))} — {escape(result.rule.title)}"
        )
        for failure in result.failures:
            _line(console, f"  {failure}")
        _line(console, f"  query: {result.rule.query}")
    for rule in untested:
        console.print(f"[yellow]no tests[/yellow] {escape(str(rule.source.path))}")
    cases = sum(r.cases for r in results)
    console.print(
        f"{len(results) - len(failed)} rules passed, {len(failed)} failed, "
        f"{len(untested)} without tests, {len(compiled.errors)} refused ({cases} events)"
    )
    return 1 if failed or compiled.errors else 0


def _line(console: Console, text: str) -> None:
    # One problem, one line: never wrapped, never read as markup (rules quote log content).
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _fixture_path(rule: CompiledRule) -> Path:
    path = Path(rule.source.path)
    return path.with_name(path.name.rsplit(".", 1)[0] + FIXTURE_SUFFIX)


def run_fixture(rule: CompiledRule, fixture: Path, store: SQLiteStore) -> FixtureResult:
    """Store the fixture's events under ids unique to this rule, query, compare."""
    spec: dict[str, Any] = yaml.safe_load(fixture.read_text(encoding="utf-8")) or {}
    result = FixtureResult(rule)
    expected: dict[str, tuple[bool, str]] = {}
    events: list[Event] = []
    for expect, key in ((True, "must_fire"), (False, "must_not_fire")):
        for index, case in enumerate(spec.get(key) or []):
            record = _fixture_event(rule.id, f"{key}:{index}", case)
            label = f"{key}[{index}]: {case.get('line') or case.get('fields')}"
            if isinstance(record, DeadLetter):
                result.failures.append(f"{label} did not parse: {record.reason}")
                continue
            expected[record.id] = (expect, label)
            events.append(record)
    store.write_events(events)
    matched: set[str] = set()
    after = None
    while True:
        page = store.search_events(rule.query, "", "9999", after=after)
        matched.update(e.id for e in page.events)
        if page.after is None:
            break
        after = page.after
    for record_id, (expect, label) in expected.items():
        if (record_id in matched) != expect:
            verb = "did not fire" if expect else "fired"
            result.failures.append(f"{label} {verb}")
    result.cases = len(expected)
    return result


def _fixture_event(rule_id: str, position: str, case: dict[str, Any]) -> Event | DeadLetter:
    identity = f"fixture:{rule_id}"
    if "fields" in case:
        fields = {"@timestamp": now_iso(), "event.original": "", **case["fields"]}
        return Event(event_id(identity, position), fields)
    origin = Origin(
        source="rules-test", identity=identity, received_at=now_iso(), parser=case["parser"]
    )
    return to_record(str(case["line"]).encode("utf-8"), origin, position)
