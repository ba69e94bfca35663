"""Rule exceptions and Sigma filters: loading (path:line), expiry, what they exclude on a real
SQLite store, and the impact preview over stored alerts."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.detector import load_detection
from alerting.detect.load.suppressions import load_suppressions
from alerting.detect.run.engine import DetectionEngine
from alerting.detect.suppression_impact import preview_impact
from canhgac.config import DetectionConfig
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

RULE_A = "5b3f1b0e-0000-4000-8000-0000000000e1"
RULE_B = "5b3f1b0e-0000-4000-8000-0000000000e2"
CORR = "5b3f1b0e-0000-4000-8000-0000000000e3"
TODAY = date(2026, 11, 28)


def exception(
    rules: str = f"[{RULE_A}]",
    expires: str = "2026-12-31",
    match: str = "user.name: svc_backup",
    extra: str = "",
) -> str:
    return textwrap.dedent(
        f"""\
        exceptions:
          - id: backup-job
            rules: {rules}
            owner: soc@hanoi.gov.vn
            reason: The nightly backup job logs in with a service account
            expires: {expires}
            match:
              {match}
        {extra}"""
    )


def rules(kit: Any, **files: str) -> Path:
    base = {
        "a.yml": kit.rule_text(
            "sel:\n  event.action: fail\ncondition: sel", rule_id=RULE_A, extra="name: rule_a\n"
        ),
        "b.yml": kit.rule_text("sel:\n  event.action: deny\ncondition: sel", rule_id=RULE_B),
    }
    folder: Path = kit.write_rules(base, folder=f"rules{len(list(kit.tmp_path.glob('rules*')))}")
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def compiled(kit: Any, folder: Path, today: date = TODAY) -> Any:
    config = DetectionConfig(rules_dir=str(folder), pipeline=[str(kit.pipeline_path)])
    return load_detection(config, "sqlite", today=today)


def matched(kit: Any, store: SQLiteStore, result: Any, rule_id: str) -> set[str]:
    [rule] = [r for r in result.rules if r.id == rule_id]
    return set(kit.matching_ids(store, rule.query))


@pytest.fixture
def events(kit: Any, store: SQLiteStore) -> SQLiteStore:
    store.write_events(
        [
            kit.event(
                "fail-backup", event__action="fail", user__name="SVC_Backup", source__ip="10.0.0.5"
            ),
            kit.event("fail-lan", event__action="fail", user__name="lan", source__ip="10.0.0.6"),
            kit.event(
                "deny-backup", event__action="deny", user__name="svc_backup", source__ip="10.0.0.5"
            ),
        ]
    )
    return store


# --- loading ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (exception(extra="    ownr: x\n"), 9, "unknown key 'exceptions.0.ownr'"),
        (
            exception().replace("    owner: soc@hanoi.gov.vn\n", ""),
            2,
            "'exceptions.0.owner' is required",
        ),
        (
            exception().replace(
                "reason: The nightly backup job logs in with a service account", "reason: '  '"
            ),
            5,
            "must not be blank",
        ),
        (exception(expires="someday"), 6, "'exceptions.0.expires'"),
        (exception(match="user.name|nosuchmodifier: x"), 7, "invalid match"),
        ("exceptions:\n  - id: [unclosed\n", 3, "invalid YAML"),
    ],
)
def test_every_problem_is_one_line_with_its_path_and_line(
    kit: Any, text: str, line: int, message: str
) -> None:
    folder = rules(kit, **{"exceptions/x.yml": text})
    result = load_suppressions(folder / "exceptions")
    [error] = result.errors
    assert message in str(error) and error.line == line, str(error)
    assert error.path == str(folder / "exceptions" / "x.yml")


def test_duplicate_ids_and_unknown_rules_are_errors(kit: Any) -> None:
    folder = rules(
        kit, **{"exceptions/a.yml": exception(), "exceptions/b.yml": exception(rules="[nope]")}
    )
    result = compiled(kit, folder)
    assert [e.line for e in result.errors] == [2]
    assert "duplicate exception id 'backup-job'" in str(result.errors[0])
    folder = rules(kit, **{"exceptions/b.yml": exception(rules="[nope]")})
    [error] = compiled(kit, folder).errors
    assert "exception 'backup-job' names unknown rule 'nope'" in str(error) and error.line == 2


def test_the_exceptions_folder_holds_no_rules(kit: Any) -> None:
    folder = rules(kit, **{"exceptions/x.yml": exception()})
    assert compiled(kit, folder).errors == []


# --- applying ----------------------------------------------------------------------------------
def test_an_exception_excludes_its_match_from_its_rules_only(kit: Any, events: SQLiteStore) -> None:
    folder = rules(kit, **{"exceptions/x.yml": exception(rules="[rule_a]")})
    result = compiled(kit, folder)
    # Case-insensitive like any Sigma value: SVC_Backup is the service account too.
    assert matched(kit, events, result, RULE_A) == {"fail-lan"}
    assert matched(kit, events, result, RULE_B) == {"deny-backup"}


def test_an_expired_exception_stops_applying_and_is_reported(kit: Any, events: SQLiteStore) -> None:
    folder = rules(kit, **{"exceptions/x.yml": exception(expires="2026-11-28")})
    assert matched(kit, events, compiled(kit, folder, date(2026, 11, 28)), RULE_A) == {"fail-lan"}
    result = compiled(kit, folder, date(2026, 11, 29))
    assert matched(kit, events, result, RULE_A) == {"fail-lan", "fail-backup"}
    [warning] = result.warnings
    assert warning.startswith(f"{folder / 'exceptions' / 'x.yml'}:2: exception 'backup-job'")
    assert "expired on 2026-11-28" in warning and "soc@hanoi.gov.vn" in warning


def test_an_exception_on_a_correlation_applies_inside_it_only(
    kit: Any, events: SQLiteStore
) -> None:
    correlation = (
        f"title: c\nid: {CORR}\nstatus: test\nlevel: high\ncorrelation:\n  type: event_count\n"
        "  rules: [rule_a]\n  group-by: [source.ip]\n  timespan: 5m\n  condition:\n    gte: 1\n"
        "  generate: true\n"
    )
    folder = rules(kit, **{"c.yml": correlation, "exceptions/x.yml": exception(rules=f"[{CORR}]")})
    result = compiled(kit, folder)
    assert result.errors == []
    assert matched(kit, events, result, RULE_A) == {"fail-lan", "fail-backup"}
    [corr] = [r for r in result.rules if r.id == CORR]
    _, drafts = corr.query.evaluate_window(
        events,
        "2000-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        page_size=10,
        now="2026-11-28T00:00:00.000000Z",
    )
    assert [d.event_ids for d in drafts] == [["fail-lan"]]


# --- Sigma filters -----------------------------------------------------------------------------
def sigma_filter(rules_value: str, logsource: str = "product: canhgac\n  service: test") -> str:
    return (
        "title: Ignore the backup account\nid: 5b3f1b0e-0000-4000-8000-0000000000f1\n"
        f"logsource:\n  {logsource}\nfilter:\n  rules: {rules_value}\n"
        "  backup:\n    user.name: svc_backup\n  condition: not backup\n"
    )


@pytest.mark.parametrize(
    ("rules_value", "logsource", "a", "b"),
    [
        ("any", "product: canhgac\n  service: test", {"fail-lan"}, set()),
        ("any", "product: canhgac", {"fail-lan"}, set()),  # a wider log source contains ours
        ("any", "product: windows", {"fail-lan", "fail-backup"}, {"deny-backup"}),
        ("[rule_a]", "product: canhgac\n  service: test", {"fail-lan"}, {"deny-backup"}),
        (f"[{RULE_B}]", "product: canhgac\n  service: test", {"fail-lan", "fail-backup"}, set()),
    ],
)
def test_sigma_filters_apply_by_rule_list_and_log_source(
    kit: Any, events: SQLiteStore, rules_value: str, logsource: str, a: set[str], b: set[str]
) -> None:
    folder = rules(kit, **{"filters/backup.yml": sigma_filter(rules_value, logsource)})
    result = compiled(kit, folder)
    assert result.errors == []
    assert matched(kit, events, result, RULE_A) == a
    assert matched(kit, events, result, RULE_B) == b


def test_a_filter_naming_an_unknown_rule_is_an_error(kit: Any) -> None:
    folder = rules(kit, **{"backup.yml": sigma_filter("[rule_a, ghost]")})
    [error] = compiled(kit, folder).errors
    assert "filter names unknown rule 'ghost'" in str(error) and error.line == 7


# --- impact preview ----------------------------------------------------------------------------
def test_the_preview_counts_the_alerts_an_exception_would_have_suppressed(
    kit: Any, store: SQLiteStore, clock: Any
) -> None:
    folder = rules(kit)
    result = compiled(kit, folder)
    now = {"@timestamp": to_iso(clock())}
    store.write_events(
        [kit.event(f"b{i}", now, event__action="fail", user__name="svc_backup") for i in range(3)]
        + [kit.event("l1", now, event__action="fail", user__name="lan")]
    )
    clock.advance(timedelta(seconds=10))
    engine = DetectionEngine(store, DetectionConfig(), clock=clock)
    for rule in result.rules:
        engine.run_rule(rule)
    assert len(store.list_alerts(AlertFilter(rule_id=RULE_A))) == 4

    draft = folder / "draft.yml"
    draft.write_text(exception(), encoding="utf-8")
    [loaded] = load_suppressions(folder).suppressions
    pipeline = load_pipeline([kit.pipeline_path])
    report = preview_impact(loaded, result.rules, pipeline, store, days=7, now=clock())
    [impact] = report.rules
    assert (impact.alerts, impact.suppressed, impact.reduced, impact.events_excluded) == (
        4,
        3,
        0,
        3,
    )
    old = preview_impact(
        loaded, result.rules, pipeline, store, days=7, now=clock() + timedelta(days=30)
    )
    assert old.rules[0].alerts == 0 and old.suppressed == 0


def test_the_preview_counts_reduced_grouped_alerts(
    kit: Any, store: SQLiteStore, clock: Any
) -> None:
    grouped = kit.rule_text(
        "sel:\n  event.action: fail\ncondition: sel",
        rule_id=RULE_A,
        extra="canhgac:\n  group_by: [source.ip]\n",
    )
    folder = kit.write_rules({"a.yml": grouped}, folder="grouped")
    result = compiled(kit, folder)
    now = {"@timestamp": to_iso(clock())}
    store.write_events(
        [
            kit.event(
                "b1", now, event__action="fail", user__name="svc_backup", source__ip="10.0.0.5"
            ),
            kit.event("l1", now, event__action="fail", user__name="lan", source__ip="10.0.0.5"),
            kit.event(
                "b2", now, event__action="fail", user__name="svc_backup", source__ip="10.0.0.9"
            ),
        ]
    )
    clock.advance(timedelta(seconds=10))
    DetectionEngine(store, DetectionConfig(), clock=clock).run_rule(result.rules[0])
    path = kit.tmp_path / "draft.yml"
    path.write_text(exception(), encoding="utf-8")
    [loaded] = load_suppressions(kit.tmp_path).suppressions
    report = preview_impact(
        loaded, result.rules, load_pipeline([kit.pipeline_path]), store, days=1, now=clock()
    )
    assert (report.rules[0].alerts, report.rules[0].suppressed, report.rules[0].reduced) == (
        2,
        1,
        1,
    )


def test_dates_are_read_in_hanoi() -> None:
    from alerting.detect.load.suppressions import today_in_hanoi

    # 2026-11-28 18:30 UTC is already the 29th in Hanoi (UTC+7).
    assert today_in_hanoi(datetime(2026, 11, 28, 18, 30, tzinfo=UTC)) == date(2026, 11, 29)
