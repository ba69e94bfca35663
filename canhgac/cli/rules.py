"""`canhgac rules check` and `canhgac rules test`: what a rule author runs before shipping.

``test`` runs each rule's fixture events through the production code: the real parser, the
real store and the rule's query as the scheduler compiles it for that store. ``--store``
picks the store (:data:`FIXTURE_STORES`): a temporary SQLite database, or temporary indices
(a fresh index prefix, deleted afterwards) on an Elasticsearch node -- the configured store's
when the config uses Elasticsearch, else the node in ``CANHGAC_TEST_ES_URL``.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet
from alerting.detect.detector import load_detection
from canhgac.cli.progress import tracked
from canhgac.cli.rule_fixtures import FixtureResult, fixture_event
from canhgac.cli.rules_scenarios import (
    ScenarioPlacer,
    ScenarioResult,
    check_scenarios,
    is_correlation,
    load_scenarios,
)
from canhgac.cli.terminal import line
from canhgac.config import ElasticsearchStoreConfig, Settings
from canhgac.errors import ConfigError
from canhgac.models import DeadLetter, Event
from canhgac.registry import Registry
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore

FIXTURE_SUFFIX = ".tests.yml"
# The Elasticsearch node `rules test --store elasticsearch` uses when the config has none.
ES_URL_VARIABLE = "CANHGAC_TEST_ES_URL"
# Every fixture event was ingested before this (a canonical time both stores accept).
_SEARCH_END = "2200-01-01T00:00:00.000000Z"


def _compile(settings: Settings, path: Path | None, language: str) -> CompiledRuleSet:
    detection = settings.detection
    if path is not None:
        detection = detection.model_copy(update={"rules_dir": str(path)})
    return load_detection(detection, language)


# --- the stores fixtures run on ---------------------------------------------------------------
@contextmanager
def _sqlite_fixture_store(settings: Settings) -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="canhgac-rules-test-") as tmp:
        store = SQLiteStore(Path(tmp) / "fixtures.db", synchronous="OFF")
        try:
            yield store
        finally:
            store.close()


def fixture_es_config(settings: Settings, environ: dict[str, str]) -> ElasticsearchStoreConfig:
    """The configured Elasticsearch store (else the node in ``CANHGAC_TEST_ES_URL``) with a
    fresh index prefix of its own."""
    prefix = f"canhgac-rules-test-{uuid.uuid4().hex[:12]}"
    if isinstance(settings.store, ElasticsearchStoreConfig):
        return settings.store.model_copy(update={"index_prefix": prefix})
    url = environ.get(ES_URL_VARIABLE, "").strip()
    if not url:
        raise ConfigError(
            "rules test --store elasticsearch: the config's store is not Elasticsearch and "
            f"{ES_URL_VARIABLE} is not set; say which node to use"
        )
    return ElasticsearchStoreConfig(hosts=[url], index_prefix=prefix)


@contextmanager
def _elasticsearch_fixture_store(settings: Settings) -> Iterator[Store]:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    store = ElasticsearchStore(fixture_es_config(settings, dict(os.environ)))
    try:
        yield store
    finally:
        try:
            store.delete_indices()
        finally:
            store.close()


FixtureStore = Callable[[Settings], AbstractContextManager[Store]]
FIXTURE_STORES: Registry[FixtureStore] = Registry(
    "store",
    {"sqlite": _sqlite_fixture_store, "elasticsearch": _elasticsearch_fixture_store},
)
# The query language each fixture store runs (checked against the stores by a test).
FIXTURE_LANGUAGES: dict[str, str] = {"sqlite": "sqlite", "elasticsearch": "elasticsearch"}


def check_rules(
    settings: Settings, path: Path | None, console: Console, strict: bool = False
) -> int:
    # Every store's conversion, the project checks and the summary: canhgac.cli.rules_tools.
    from canhgac.cli.rules_tools import check_report

    return check_report(settings, path, console, strict)


@dataclass
class FixtureRun:
    compiled: CompiledRuleSet
    results: list[FixtureResult] = field(default_factory=list)
    untested: list[CompiledRule] = field(default_factory=list)


def run_fixtures(
    settings: Settings,
    path: Path | None,
    store_name: str,
    on_rule: Callable[[int, int], object] | None = None,
) -> FixtureRun:
    """Compile the rules for the store ``store_name`` and run every rule's fixture on it:
    every fixture's events are written first (one batch), then each rule is searched
    (``on_rule(done, total)`` after each: a progress bar)."""
    open_store = FIXTURE_STORES.get(store_name)
    run = FixtureRun(_compile(settings, path, FIXTURE_LANGUAGES[store_name]))
    events: list[Event] = []
    placer = ScenarioPlacer()
    # Rules that only feed correlations (generate: false) are tested like any other.
    for rule in [*run.compiled.rules, *run.compiled.correlation_inputs]:
        fixture = _fixture_path(rule)
        if not fixture.exists():
            run.untested.append(rule)
        elif is_correlation(rule):
            run.results.append(load_scenarios(rule, fixture, events, placer))
        else:
            run.results.append(load_fixture(rule, fixture, events))
    with open_store(settings) as store:
        store.write_events(events)
        stored = {event.id for event in store.get_events([event.id for event in events])}
        for done, result in enumerate(run.results, start=1):
            if isinstance(result, ScenarioResult):
                check_scenarios(result, store)
            else:
                check_fixture(result, store, stored)
            if on_rule is not None:
                on_rule(done, len(run.results))
    return run


def run_rule_tests(
    settings: Settings, path: Path | None, console: Console, store_name: str = "sqlite"
) -> int:
    with tracked(f"rules test on {store_name}") as progress:
        run = run_fixtures(settings, path, store_name, progress.at)
    for error in run.compiled.errors:
        line(console, str(error))
    failed = [r for r in run.results if r.failures]
    for result in failed:
        console.print(
            f"[red]FAIL[/red] {escape(str(result.rule.source.path))} — {escape(result.rule.title)}"
        )
        for failure in result.failures:
            line(console, f"  {failure}")
        line(console, f"  query: {result.rule.query}")
    for rule in run.untested:
        console.print(f"[yellow]no tests[/yellow] {escape(str(rule.source.path))}")
    cases = sum(r.cases for r in run.results)
    console.print(
        f"{len(run.results) - len(failed)} rules passed, {len(failed)} failed, "
        f"{len(run.untested)} without tests, {len(run.compiled.errors)} refused ({cases} events)"
        f" on {store_name}",
        soft_wrap=True,
    )
    return 1 if failed or run.compiled.errors else 0


def _fixture_path(rule: CompiledRule) -> Path:
    path = Path(rule.source.path)
    return path.with_name(path.name.rsplit(".", 1)[0] + FIXTURE_SUFFIX)


def load_fixture(rule: CompiledRule, fixture: Path, events: list[Event]) -> FixtureResult:
    """Parse the fixture's events (ids unique to this rule) into ``events``."""
    spec: dict[str, Any] = yaml.safe_load(fixture.read_text(encoding="utf-8")) or {}
    result = FixtureResult(rule)
    for expect, key in ((True, "must_fire"), (False, "must_not_fire")):
        for index, case in enumerate(spec.get(key) or []):
            record = fixture_event(rule.id, f"{key}:{index}", case)
            label = f"{key}[{index}]: {case.get('line') or case.get('lines') or case.get('fields')}"
            if isinstance(record, DeadLetter):
                result.failures.append(f"{label} did not parse: {record.reason}")
                continue
            result.expected[record.id] = (expect, label)
            events.append(record)
    result.cases = len(result.expected)
    return result


def check_fixture(result: FixtureResult, store: Store, stored: set[str]) -> None:
    """Search the rule over everything stored and compare with the fixture's expectations."""
    after = None
    while True:
        page = store.search_events(result.rule.query, "", _SEARCH_END, after=after)
        result.matched.update(e.id for e in page.events)
        if page.after is None:
            break
        after = page.after
    for record_id, (expect, label) in result.expected.items():
        if record_id not in stored:
            reason = _dead_letter_reason(store, record_id)
            result.failures.append(f"{label} was not stored: {reason}")
        elif (record_id in result.matched) != expect:
            verb = "did not fire" if expect else "fired"
            result.failures.append(f"{label} {verb}")


def _dead_letter_reason(store: Store, record_id: str) -> str:
    for letter in store.list_dead_letters(limit=1000):
        if letter.id == record_id:
            return letter.reason
    return "the store kept no dead letter for it"
