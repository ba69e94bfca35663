"""Detection settings shared by the detection benches."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alerting.detect.compile.rules import CompiledRule
from alerting.detect.detector import load_detection
from alerting.detect.run.engine import DetectionEngine, RuleRunReport
from canhgac.config import DetectionConfig
from canhgac.store.sqlite.store import SQLiteStore


def window_config(rules_dir: Path, pipeline: Path) -> DetectionConfig:
    """Detection settings for a bench: one window may span the whole generated set."""
    return DetectionConfig(
        rules_dir=str(rules_dir),
        pipeline=[str(pipeline)],
        ingest_delay=timedelta(0),
        max_window=timedelta(days=2),
        max_lookback=timedelta(days=7),
        page_size=1000,
    )


def window_rules(config: DetectionConfig) -> list[CompiledRule]:
    """The rules compiled for SQLite (problems printed), each window covering every stored
    event whatever the rule's own interval."""
    compiled = load_detection(config, SQLiteStore.query_language)
    for problem in [*map(str, compiled.errors), *compiled.warnings]:
        print("rule problem:", problem)
    return [dataclasses.replace(rule, interval=timedelta(days=1)) for rule in compiled.rules]


@dataclass(frozen=True, slots=True)
class TimedCycle:
    reports: list[RuleRunReport]
    cpu_s: float
    wall_s: float


def timed_cycle(
    store: SQLiteStore, config: DetectionConfig, rules: Sequence[CompiledRule]
) -> TimedCycle:
    """One detection cycle of ``rules`` as one tick, timed (CPU of the process and wall)."""
    engine = DetectionEngine(store, config)
    cpu, wall = time.process_time(), time.perf_counter()
    reports = engine.run_rules(rules)
    return TimedCycle(reports, time.process_time() - cpu, time.perf_counter() - wall)
