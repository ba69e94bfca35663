"""The conformance corpus: Sigma rules, events, and exactly which events each rule matches.

Every ``*.yml`` file here holds ``cases``; a case is a Sigma ``detection`` block, named events
(flat ECS fields) and the names of the events it must match. A store that cannot run a case
exactly must refuse it instead, and the case says so under ``refused: {store: reason}`` (a
substring of the rule error). The same cases run on SQLite (unit tests) and on Elasticsearch
(integration tests), through the production path: rule loading, compiling for the store's
query language, writing the events to a real store and searching them.

Each case's rule runs over the whole corpus, but only the case's own events are compared.
Rules are compiled with an empty processing pipeline: the corpus is about matching semantics,
the project pipeline about mapping and has its own tests.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.rules import CompiledRuleSet, compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import Event
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore

CORPUS_DIR = Path(__file__).parent
STORES = ("sqlite", "elasticsearch")
TIMESTAMP = "2026-11-27T10:05:00.000000Z"
SEARCH_END = "2200-01-01T00:00:00.000000Z"
_ID_NAMESPACE = uuid.UUID("0c9f4d7e-2b6a-4f0e-9d1c-6a8e5b3c2f10")


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    detection: dict[str, Any]
    events: dict[str, dict[str, Any]]
    matches: frozenset[str]
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.file}/{self.name}"

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.key.lower()).strip("-")

    def event_id(self, name: str) -> str:
        return f"conformance:{self.slug}:{name}"

    def expected(self, store: str) -> dict[str, Any]:
        if store in self.refused:
            return {"refused": self.refused[store]}
        return {"matches": sorted(self.matches)}

    def rule_text(self) -> str:
        rule = {
            "title": f"Conformance {self.key}",
            "id": str(uuid.uuid5(_ID_NAMESPACE, self.key)),
            "status": "test",
            "level": "low",
            "logsource": {"product": "conformance"},
            "detection": self.detection,
        }
        return yaml.safe_dump(rule, allow_unicode=True, sort_keys=False)

    def to_events(self) -> list[Event]:
        out = []
        for name, fields in self.events.items():
            base: dict[str, Any] = {
                "@timestamp": TIMESTAMP,
                "event.dataset": "conformance",
                "event.kind": "event",
                "event.original": "",
            }
            out.append(Event(self.event_id(name), base | (fields or {})))
        return out


def load_corpus() -> list[Case]:
    cases = []
    for path in sorted(CORPUS_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in document["cases"]:
            cases.append(
                Case(
                    file=path.stem,
                    name=str(entry["name"]),
                    detection=entry["detection"],
                    events={str(k): v for k, v in entry["events"].items()},
                    matches=frozenset(str(m) for m in entry.get("matches") or []),
                    refused=dict(entry.get("refused") or {}),
                )
            )
    return cases


CASES = load_corpus()


@pytest.fixture
def corpus_cases() -> list[Case]:
    return CASES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[case.key for case in CASES])


class CorpusRun:
    """Every case's rule compiled for one store, and every case's events in that store."""

    def __init__(self, store: Store, language: str, rules_dir: Path) -> None:
        self.store = store
        self.language = language
        paths = {}
        for case in CASES:
            path = rules_dir / f"{case.slug}.yml"
            path.write_text(case.rule_text(), encoding="utf-8")
            paths[str(path)] = case.key
        compiled: CompiledRuleSet = compile_rules(
            load_rules(rules_dir),
            ProcessingPipeline(),
            language,
            default_interval=timedelta(minutes=1),
        )
        self.queries = {paths[str(rule.source.path)]: rule.query for rule in compiled.rules}
        self.errors = {paths[str(error.path)]: str(error) for error in compiled.errors}
        events = [event for case in CASES for event in case.to_events()]
        store.write_events(events)
        stored = {event.id for event in store.get_events([event.id for event in events])}
        self.not_stored = sorted({event.id for event in events} - stored)

    def outcome(self, case: Case) -> dict[str, Any]:
        """What the store did with ``case``, in the shape of :meth:`Case.expected`."""
        if case.key in self.errors:
            message = self.errors[case.key]
            reason = case.refused.get(self.language)
            return {"refused": reason if reason and reason in message else message}
        matched: set[str] = set()
        after = None
        while True:
            page = self.store.search_events(
                self.queries[case.key], "", SEARCH_END, after=after, limit=500
            )
            matched.update(event.id for event in page.events)
            if page.after is None:
                break
            after = page.after
        own = {case.event_id(name): name for name in case.events}
        return {"matches": sorted(own[i] for i in matched if i in own)}


@pytest.fixture(scope="session")
def sqlite_corpus() -> Iterator[CorpusRun]:
    with tempfile.TemporaryDirectory(prefix="canhgac-conformance-") as tmp:
        rules_dir = Path(tmp) / "rules"
        rules_dir.mkdir()
        store = SQLiteStore(Path(tmp) / "corpus.db", synchronous="OFF")
        try:
            yield CorpusRun(store, "sqlite", rules_dir)
        finally:
            store.close()


@pytest.fixture(scope="session")
def elasticsearch_corpus() -> Iterator[CorpusRun]:
    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail(
            "CANHGAC_TEST_ES_URL is not set: start the services with deploy/services/up and "
            "`source var/services/services.env`",
            pytrace=False,
        )
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    config = ElasticsearchStoreConfig(
        hosts=[url], index_prefix=f"cg-conformance-{uuid.uuid4().hex[:10]}"
    )
    store = ElasticsearchStore(config)
    try:
        with tempfile.TemporaryDirectory(prefix="canhgac-conformance-") as tmp:
            yield CorpusRun(store, "elasticsearch", Path(tmp))
    finally:
        store.delete_indices()
        store.close()
