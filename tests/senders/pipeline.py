"""The project's side of the sender tests: the embedded pipeline in this process (syslog UDP
and TCP on one free loopback port, or a tailed file; SQLite store), its stored events, and
the alerts the project's rules raise over them.

Alerts come from :func:`alerting.detect.backtest.backtest`, the production window code minus
its side effects, run over everything ingested since the pipeline started: deterministic,
with no scheduler tick to wait for.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerting.detect.backtest import backtest
from alerting.detect.compile.rules import CompiledRuleSet
from alerting.detect.detector import load_detection
from canhgac.cli.runtime import Runtime
from canhgac.config import DetectionConfig, Settings
from canhgac.config_loader import load_settings
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import utcnow
from tests.support.city_traffic import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
DETECTION = DetectionConfig(
    rules_dir=str(ROOT / "rules"), pipeline=[str(ROOT / "rules" / "pipelines" / "ecs.yml")]
)


def compile_rules() -> CompiledRuleSet:
    compiled = load_detection(DETECTION, SQLiteStore.query_language)
    assert not compiled.errors, compiled.errors
    return compiled


@dataclass(frozen=True)
class AlertSeen:
    """What an analyst sees of one alert, independent of event ids and of when it was run."""

    title: str
    group: tuple[tuple[str, str], ...]
    count: int
    first_seen: str
    last_seen: str

    def brief(self) -> str:
        group = ", ".join(f"{k}={v}" for k, v in self.group)
        return f"{self.title} [{group}] x{self.count}"


@dataclass
class Pipeline:
    """One in-process `canhgac run` with the collect and index roles and its SQLite store."""

    workdir: Path
    sources: list[dict[str, Any]] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    runtime: Runtime | None = None

    @classmethod
    def listening(cls, workdir: Path, **options: str) -> Pipeline:
        """Syslog over UDP and TCP on one free port, every record through the auto parser;
        ``options`` are more settings of both sources."""
        pipeline = cls(workdir)
        pipeline.sources = [
            {"type": kind, "name": kind.replace("_", "-"), "port": pipeline.port, **options}
            for kind in ("syslog_udp", "syslog_tcp")
        ]
        return pipeline

    @property
    def db_path(self) -> Path:
        return self.workdir / "canhgac.db"

    def settings(self) -> Settings:
        return load_settings(
            None,
            data_dir=str(self.workdir / "var"),
            roles=["collect", "index"],
            sources=self.sources,
            store={"type": "sqlite", "path": str(self.db_path), "synchronous": "NORMAL"},
            indexer={"batch_wait": "20ms"},
            demo={"mode": "off"},
        )

    def start(self) -> None:
        self.runtime = Runtime(self.settings())
        self.runtime.start()

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None

    # --- what it stored -----------------------------------------------------------------------
    def _read(self) -> SQLiteStore:
        return SQLiteStore(self.db_path, synchronous="NORMAL")

    def stored(self) -> int:
        store = self._read()
        try:
            return store.count_events() + store.count_dead_letters()
        finally:
            store.close()

    def wait_stored(self, expected: int, timeout: float = 20) -> None:
        wait_for(lambda: self.stored() >= expected, timeout, f"{expected} records stored")

    def events(self) -> list[Event]:
        store = self._read()
        try:
            found: list[Event] = []
            after: tuple[str, str] | None = None
            while True:
                page = store.search_events(None, "", "9999", after=after, limit=1000)
                found.extend(page.events)
                if page.after is None or not page.events:
                    return found
                after = page.after
        finally:
            store.close()

    def dead_letters(self) -> list[str]:
        store = self._read()
        try:
            return [f"{d.reason}: {d.raw!r}" for d in store.list_dead_letters(1000)]
        finally:
            store.close()

    def alerts(self, rules: CompiledRuleSet) -> set[AlertSeen]:
        """The alerts every rule raises over what this pipeline stored."""
        store = self._read()
        try:
            now = utcnow()
            seen: set[AlertSeen] = set()
            for rule in rules.rules:
                result = backtest(
                    rule,
                    store,
                    now - timedelta(hours=1),
                    now + timedelta(minutes=1),
                    window=DETECTION.max_window,
                    page_size=DETECTION.page_size,
                    now=now,
                )
                seen.update(_seen(draft.alert) for draft in result.drafts)
            return seen
        finally:
            store.close()


def _seen(alert: Any) -> AlertSeen:
    group = tuple(sorted((k, str(v)) for k, v in alert.group_key.items()))
    return AlertSeen(alert.rule_title, group, alert.count, alert.first_seen, alert.last_seen)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def by_original(events: Sequence[Event], marker: str) -> Event:
    """The one event whose raw record contains ``marker`` (each test line has its own)."""
    found = [e for e in events if nfc(marker) in str(e.fields.get("event.original", ""))]
    assert len(found) == 1, f"{len(found)} events carry {marker!r}; stored: " + "\n".join(
        str(e.fields.get("event.original")) for e in events
    )
    return found[0]
