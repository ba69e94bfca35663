"""Hot reload: edits reach a running scheduler; broken edits keep the last good version."""

from __future__ import annotations

import logging
import os
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.detector import build_scheduler, load_detection
from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.reload import RuleReloader, watched_files
from alerting.detect.run.scheduler import DetectionScheduler
from canhgac.config import AlertingConfig, DetectionConfig
from canhgac.store.sqlite.store import SQLiteStore

A = "5b3f1b0e-0000-4000-8000-0000000000a1"
B = "5b3f1b0e-0000-4000-8000-0000000000b1"
CORR = "5b3f1b0e-0000-4000-8000-0000000000c1"


def rule(kit: Any, rule_id: str, value: str, interval: str = "1m", name: str = "") -> str:
    extra = f"canhgac:\n  interval: {interval}\n" + (f"name: {name}\n" if name else "")
    return str(
        kit.rule_text(
            f"sel:\n  event.action: {value}\ncondition: sel", rule_id=rule_id, extra=extra
        )
    )


def correlation(base: str) -> str:
    return (
        f"title: c\nid: {CORR}\nstatus: test\nlevel: high\ncorrelation:\n  type: event_count\n"
        f"  rules: [{base}]\n  group-by: [source.ip]\n  timespan: 5m\n  condition:\n    gte: 2\n"
        "  generate: true\n"
    )


class Setup:
    def __init__(
        self, kit: Any, store: SQLiteStore, files: dict[str, str], pipeline: Path | None = None
    ) -> None:
        self.kit = kit
        self.folder = kit.write_rules(files)
        self.config = DetectionConfig(
            rules_dir=str(self.folder), pipeline=[str(pipeline or kit.pipeline_path)]
        )
        self.today = date(2026, 11, 28)
        compiled = self.load()
        assert compiled.errors == []
        self.scheduler = DetectionScheduler(DetectionEngine(store, self.config), compiled.rules)
        self.reloader = RuleReloader(
            self.load,
            lambda: watched_files(self.folder, self.config.pipeline),
            self.scheduler.replace_rules,
            compiled,
            every=0.02,
            today=lambda: self.today,
        )

    def load(self) -> Any:
        return load_detection(self.config, "sqlite", today=self.today)

    def write(self, name: str, text: str) -> None:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        # A later mtime even on filesystems with a coarse clock.
        stamp = time.time_ns() + 1_000_000_000
        os.utime(path, ns=(stamp, stamp))

    def query(self, rule_id: str) -> str:
        return str(self.scheduler.rules[rule_id].query)


@pytest.fixture
def setup(kit: Any, store: SQLiteStore) -> Setup:
    return Setup(kit, store, {"a.yml": rule(kit, A, "login"), "b.yml": rule(kit, B, "deny")})


def _runs(setup: Setup, rule_id: str) -> int:
    return next(s.runs for s in setup.scheduler.status() if s.rule_id == rule_id)


def test_nothing_changed_means_no_reload(setup: Setup) -> None:
    assert setup.reloader.check() is None


def test_an_edit_replaces_the_running_rule(setup: Setup) -> None:
    assert "'login'" in setup.query(A)
    setup.write("a.yml", rule(setup.kit, A, "logout"))
    outcome = setup.reloader.check()
    assert outcome is not None and outcome.errors == [] and outcome.kept == []
    assert "'logout'" in setup.query(A) and "'login'" not in setup.query(A)


def test_added_and_deleted_files_add_and_remove_jobs(setup: Setup) -> None:
    setup.scheduler.start()
    try:
        setup.write("c.yml", rule(setup.kit, CORR, "other"))
        (setup.folder / "b.yml").unlink()
        outcome = setup.reloader.check()
        assert outcome is not None
        assert (outcome.added, outcome.removed) == ([CORR], [B])
        jobs = {job.id for job in setup.scheduler._scheduler.get_jobs()}  # type: ignore[union-attr]
        assert {job for job in jobs if job.startswith("tick:")} == {"tick:60s"}
        assert {status.rule_id for status in setup.scheduler.status()} == {A, CORR}
        # The added rule runs right away, not a whole interval later.
        deadline = time.monotonic() + 10
        while not _runs(setup, CORR) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _runs(setup, CORR) >= 1  # (the first tick may have picked it up as well)
    finally:
        setup.scheduler.stop()


def test_a_changed_interval_reschedules_the_job(setup: Setup) -> None:
    setup.scheduler.start()
    try:
        setup.write("a.yml", rule(setup.kit, A, "login", interval="7m"))
        setup.reloader.check()
        job = setup.scheduler._scheduler.get_job("tick:420s")  # type: ignore[union-attr]
        assert job.trigger.interval == timedelta(minutes=7)
        assert [r.rule_id for r in setup.scheduler.run_interval(420)] == [A]
        assert [r.rule_id for r in setup.scheduler.run_interval(60)] == [B]
    finally:
        setup.scheduler.stop()


def test_a_broken_edit_keeps_the_last_good_version_and_logs_the_error(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.write("a.yml", "title: [unclosed\n")
    with caplog.at_level(logging.ERROR, logger="alerting.detect.run.reload"):
        outcome = setup.reloader.check()
    assert outcome is not None and outcome.kept == [A] and outcome.removed == []
    assert "'login'" in setup.query(A)
    assert any(
        f"{setup.folder / 'a.yml'}:2: invalid YAML" in r.getMessage() for r in caplog.records
    )
    setup.write("a.yml", rule(setup.kit, A, "fixed"))
    setup.reloader.check()
    assert "'fixed'" in setup.query(A)


def test_a_broken_pipeline_keeps_every_rule(kit: Any, store: SQLiteStore, tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(Path(kit.pipeline_path).read_text(encoding="utf-8"), encoding="utf-8")
    setup = Setup(kit, store, {"a.yml": rule(kit, A, "login")}, pipeline)
    before = dict(setup.scheduler.rules)
    pipeline.write_text("transformations: [{type: nope}]\n", encoding="utf-8")
    os.utime(pipeline, ns=(time.time_ns() + 10**9,) * 2)
    outcome = setup.reloader.check()
    assert outcome is not None and "invalid processing pipeline" in outcome.errors[0]
    assert setup.scheduler.rules == before


def test_a_correlation_keeps_its_last_good_version_when_its_base_breaks(
    kit: Any, store: SQLiteStore
) -> None:
    setup = Setup(
        kit, store, {"a.yml": rule(kit, A, "login", name="base_a"), "c.yml": correlation("base_a")}
    )
    assert set(setup.scheduler.rules) == {A, CORR}
    setup.write("a.yml", rule(kit, A, "login").replace("sel:", "sel: [unclosed"))
    outcome = setup.reloader.check()
    assert outcome is not None and sorted(outcome.kept) == sorted([A, CORR])
    assert "'login'" in str(setup.scheduler.rules[CORR].query)


def test_the_date_changing_expires_an_exception_without_an_edit(
    setup: Setup, store: SQLiteStore
) -> None:
    (setup.folder / "exceptions").mkdir()
    setup.write(
        "exceptions/x.yml",
        f"exceptions:\n  - id: x\n    rules: [{A}]\n    owner: soc\n    reason: known\n"
        "    expires: 2026-11-28\n    match:\n      user.name: svc\n",
    )
    setup.reloader.check()
    assert "svc" in setup.query(A)
    setup.today = date(2026, 11, 29)
    outcome = setup.reloader.check()
    assert outcome is not None and "svc" not in setup.query(A)


def test_the_reloader_runs_with_the_scheduler(kit: Any, store: SQLiteStore) -> None:
    folder = kit.write_rules({"a.yml": rule(kit, A, "login")})
    config = DetectionConfig(rules_dir=str(folder), pipeline=[str(kit.pipeline_path)])
    scheduler = build_scheduler(
        load_detection(config, "sqlite"), store, config, AlertingConfig(), reload_every=0.02
    )
    scheduler.start()
    try:
        (folder / "a.yml").write_text(rule(kit, A, "changed"), encoding="utf-8")
        os.utime(folder / "a.yml", ns=(time.time_ns() + 10**9,) * 2)
        deadline = time.monotonic() + 5
        while "'changed'" not in str(scheduler.rules[A].query) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "'changed'" in str(scheduler.rules[A].query)
    finally:
        scheduler.stop()
