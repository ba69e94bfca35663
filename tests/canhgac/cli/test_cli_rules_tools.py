"""`canhgac rules convert|backtest|import|impact` and the checks of `rules check`, through the
real command line on real SQLite stores."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alerting.detect.field_contract import is_known
from canhgac.cli import app
from canhgac.cli.rule_fixtures import fixture_event
from canhgac.models import AlertFilter, Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import now_iso, to_iso, utcnow

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"
SIGMAHQ = ROOT.parent / "shared" / "sigmahq"
BRUTE_FORCE = RULES / "linux" / "sshd" / "lnx_sshd_bruteforce_source.yml"
FAILED_PASSWORD_ID = "40365c53-32a9-479e-ab95-11a1e6f75b8c"
BRUTE_FORCE_ID = "336267dd-7cda-4425-8b7d-142efb5f8044"


def config_file(tmp_path: Path, rules_dir: Path) -> Path:
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'var'}\nstore:\n  type: sqlite\n  path: {tmp_path / 'store.db'}\n"
        f"detection:\n  rules_dir: {rules_dir}\n  pipeline: [{PIPELINE}]\n",
        encoding="utf-8",
    )
    return config


def invoke(*args: str) -> Any:
    # Wide enough that no table cell wraps.
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "240"})


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A copy of the project's rules the test may change."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("pipelines"))
    return target


# --- convert ------------------------------------------------------------------------------
def test_convert_prints_each_stores_query(tmp_path: Path) -> None:
    config = config_file(tmp_path, RULES)
    result = invoke("rules", "convert", FAILED_PASSWORD_ID, "--config", str(config))
    assert result.exit_code == 0, result.output
    sqlite_part, _, es_part = result.output.partition("elasticsearch —")
    assert "sqlite — SSH Password Authentication Failed" in sqlite_part
    assert "json_extract(doc" in sqlite_part
    query = json.loads(es_part.split("\n", 1)[1])
    assert "bool" in query


def test_convert_shows_a_correlation_and_its_base_queries(tmp_path: Path) -> None:
    result = invoke(
        "rules", "convert", str(BRUTE_FORCE), "--config", str(config_file(tmp_path, RULES))
    )
    assert result.exit_code == 0, result.output
    assert "event_count gte 20 within 0:05:00, per source.ip:" in result.output
    assert f"[0] rule {FAILED_PASSWORD_ID} (groups by source.ip):" in result.output


def test_convert_names_why_a_rule_is_not_runnable(tmp_path: Path) -> None:
    broken = tmp_path / "mine" / "broken.yml"
    broken.parent.mkdir()
    broken.write_text(
        "title: Mine\nid: 5b3f1b0e-0000-4000-8000-0000000000aa\nlogsource:\n  product: macos\n"
        "detection:\n  sel:\n    a: b\n  condition: sel\n",
        encoding="utf-8",
    )
    result = invoke("rules", "convert", str(broken), "--config", str(config_file(tmp_path, RULES)))
    assert result.exit_code == 1
    assert f"sqlite: {broken}:3: log source" in result.output


# --- backtest -----------------------------------------------------------------------------
def _ssh_failures(count: int, ip: str, start: str) -> list[Event]:
    events = []
    for index in range(count):
        line = f"Nov 27 10:00:00 web01 sshd[1]: Failed password for root from {ip} port {4000 + index} ssh2"
        event = fixture_event("backtest", f"{ip}:{index}", {"parser": "auth", "line": line})
        assert isinstance(event, Event)
        event.fields["@timestamp"] = to_iso(
            utcnow() - timedelta(minutes=30) + timedelta(seconds=5 * index)
        )
        events.append(event)
    return events


def test_backtest_reports_alerts_per_day_and_stores_nothing(tmp_path: Path) -> None:
    config = config_file(tmp_path, RULES)
    store = SQLiteStore(tmp_path / "store.db")
    try:
        start = now_iso()
        store.write_events(
            _ssh_failures(25, "203.0.113.5", start) + _ssh_failures(5, "203.0.113.6", start)
        )
    finally:
        store.close()
    day = start[:10]
    result = invoke("rules", "backtest", BRUTE_FORCE_ID, "--from", day, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "SSH Brute Force From One Source: 1 alerts from 30 matched events" in result.output
    [row] = [line for line in result.output.splitlines() if line.startswith("│ ")]
    assert [cell.strip() for cell in row.strip("│ ").split("│")][1:] == ["1", "25", "0"]
    result = invoke("rules", "backtest", FAILED_PASSWORD_ID, "--from", day, "--config", str(config))
    # Grouped per source and 15 minutes: two sources, one or two buckets each.
    assert "30 matched events" in result.output
    store = SQLiteStore(tmp_path / "store.db")
    try:
        assert store.list_alerts(AlertFilter(limit=100)) == []
        assert store.pending_notifications() == []
    finally:
        store.close()


def test_backtest_refuses_a_bad_date(tmp_path: Path) -> None:
    result = invoke(
        "rules",
        "backtest",
        BRUTE_FORCE_ID,
        "--from",
        "yesterday",
        "--config",
        str(config_file(tmp_path, RULES)),
    )
    assert result.exit_code == 2 and "expected a date" in result.output


# --- import -------------------------------------------------------------------------------
def _zip(tmp_path: Path, members: dict[str, str]) -> Path:
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, text in members.items():
            bundle.writestr(name, text)
    return archive


def _rule(
    rule_id: str, logsource: str, detection: str = "sel:\n    cs-method: PUT\n  condition: sel"
) -> str:
    return f"title: Imported {rule_id[-2:]}\nid: {rule_id}\nlogsource:\n  {logsource}\ndetection:\n  {detection}\nlevel: low\n"


def test_import_keeps_what_we_can_run_and_says_why_not_for_the_rest(
    tmp_path: Path, pack: Path
) -> None:
    archive = _zip(
        tmp_path,
        {
            "web/good.yml": _rule("5b3f1b0e-0000-4000-8000-0000000000b1", "category: webserver"),
            "mac/unmapped.yml": _rule("5b3f1b0e-0000-4000-8000-0000000000b2", "product: macos"),
            "web/taken.yml": _rule(FAILED_PASSWORD_ID, "category: webserver"),
            "../escape.yml": _rule("5b3f1b0e-0000-4000-8000-0000000000b3", "category: webserver"),
            "README.md": "not a rule",
        },
    )
    target = tmp_path / "imported"
    result = invoke(
        "rules",
        "import",
        str(archive),
        "--into",
        str(target),
        "--config",
        str(config_file(tmp_path, pack)),
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*.yml")) == [
        "web/good.yml"
    ]
    assert "skipped ../escape.yml: unsafe path" in result.output
    assert (
        f"{archive}/mac/unmapped.yml:3: log source is not collected by Canh Gác (a product"
        " decision): macOS endpoints" in result.output
    )
    assert (
        f"{archive}/web/taken.yml:2: rule id {FAILED_PASSWORD_ID} is already used by"
        in result.output
    )
    assert not (tmp_path / "escape.yml").exists()


def test_import_dry_run_on_sigmahq_explains_every_rule_it_leaves_out(tmp_path: Path) -> None:
    # ../shared sits beside every clone, CI's included: its absence is a failure, not a skip.
    assert SIGMAHQ.is_dir(), f"{SIGMAHQ} is missing"
    result = invoke(
        "rules", "import", str(SIGMAHQ), "--dry-run", "--config", str(config_file(tmp_path, RULES))
    )
    assert result.exit_code == 0, result.output
    table = next(
        line for line in result.output.splitlines() if line.startswith("│") and "407" in line
    )
    files, loaded, sqlite, *_, runnable, cannot_fire, passing = (
        int(cell) for cell in table.strip("│ ").split("│")
    )
    assert (files, loaded) == (407, 407) and sqlite >= 200 and passing <= runnable
    assert cannot_fire == result.output.count("cannot fire with the sources you collect")
    refused = [
        line
        for line in result.output.splitlines()
        if line.startswith(str(SIGMAHQ)) and ".yml:" in line
    ]
    assert len({line.split(":", 1)[0] for line in refused}) == files - runnable
    assert not (RULES / "imported").exists()


# --- check and impact -------------------------------------------------------------------------
def test_check_reports_expired_exceptions_unknown_fields_and_missing_tests(
    tmp_path: Path, pack: Path
) -> None:
    exceptions = pack / "exceptions" / "soc_scanner.yml"
    exceptions.write_text(
        exceptions.read_text(encoding="utf-8").replace("2027-06-30", "2020-01-01"), encoding="utf-8"
    )
    rule = pack / "web" / "webserver" / "web_typo.yml"
    rule.write_text(
        _rule(
            "5b3f1b0e-0000-4000-8000-0000000000b4",
            "category: webserver",
            "sel:\n    http.respone.status_code: 500\n  condition: sel",
        ),
        encoding="utf-8",
    )
    result = invoke("rules", "check", "--config", str(config_file(tmp_path, pack)))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"warning: {exceptions}:4: exception 'soc-vulnerability-scanner'" in "\n".join(lines)
    assert (
        f"warning: {rule}:7: field http.respone.status_code is not produced for apache.access, nginx.access"
        in result.output
    )
    assert f"warning: {rule}:1: no fixture web_typo.tests.yml" in result.output


# Company is Windows PE metadata: neither auditd nor Sysmon for Linux has it.
GIT_SHELL = "sel:\n    Company|contains: Git\n    Image|endswith: /bash\n  condition: sel"


def test_check_warns_of_a_rule_that_cannot_fire_and_strict_refuses_it(
    tmp_path: Path, pack: Path
) -> None:
    rule = pack / "linux" / "process_creation" / "lnx_git_shell.yml"
    rule.parent.mkdir(parents=True, exist_ok=True)
    linux = "product: linux\n  category: process_creation"
    rule.write_text(_rule("5b3f1b0e-0000-4000-8000-0000000000b5", linux, GIT_SHELL))
    config = str(config_file(tmp_path, pack))
    message = (
        f"{rule}:6: cannot fire with the sources you collect: its condition needs "
        "Company, which no parser produces for auditd.log, sysmon_linux.log"
    )

    lenient = invoke("rules", "check", "--config", config)
    strict = invoke("rules", "check", "--strict", "--config", config)

    assert lenient.exit_code == 0, lenient.output
    assert f"warning: {message}" in lenient.output
    assert strict.exit_code == 1, strict.output
    assert message in strict.output and f"warning: {message}" not in strict.output


def test_import_takes_a_rule_that_cannot_fire_with_a_warning_unless_strict(
    tmp_path: Path, pack: Path
) -> None:
    linux = "product: linux\n  category: process_creation"
    source = tmp_path / "pack"
    (source / "linux").mkdir(parents=True)
    rule = source / "linux" / "git_shell.yml"
    rule.write_text(_rule("5b3f1b0e-0000-4000-8000-0000000000b6", linux, GIT_SHELL))
    config = str(config_file(tmp_path, pack))

    lenient = invoke("rules", "import", str(source), "--into", str(tmp_path / "a"), "-c", config)
    strict = invoke(
        "rules", "import", str(source), "--strict", "--into", str(tmp_path / "b"), "-c", config
    )

    assert lenient.exit_code == 0 and strict.exit_code == 0, lenient.output + strict.output
    assert f"warning: {rule}:6: cannot fire with the sources you collect" in lenient.output
    assert [p.name for p in (tmp_path / "a").rglob("*.yml")] == ["git_shell.yml"]
    assert f"{rule}:6: cannot fire with the sources you collect" in strict.output
    assert not (tmp_path / "b").exists()
    assert "imported 0 rules" in strict.output


def test_check_fails_on_duplicate_ids_and_short_look_back(tmp_path: Path, pack: Path) -> None:
    copy = pack / "linux" / "sshd" / "zz_copy.yml"
    copy.write_text(BRUTE_FORCE.read_text(encoding="utf-8"), encoding="utf-8")
    config = config_file(tmp_path, pack)
    config.write_text(config.read_text(encoding="utf-8") + "  max_lookback: 2m\n", encoding="utf-8")
    result = invoke("rules", "check", "--config", str(config))
    assert result.exit_code == 1
    assert f"{copy}:2: duplicate rule id {BRUTE_FORCE_ID}" in result.output
    assert "detection.max_lookback is 0:02:00" in result.output


def test_impact_previews_an_exception_over_stored_alerts(tmp_path: Path) -> None:
    config = config_file(tmp_path, RULES)
    store = SQLiteStore(tmp_path / "store.db")
    try:
        store.write_events(
            _ssh_failures(3, "203.0.113.5", now_iso()) + _ssh_failures(2, "10.20.1.9", now_iso())
        )
    finally:
        store.close()
    # The detection below runs a minute after the events were stored, however long the
    # backtest takes (a loaded machine took over a minute, and the window missed them).
    stored = utcnow()
    invoke(
        "rules", "backtest", FAILED_PASSWORD_ID, "--from", now_iso()[:10], "--config", str(config)
    )
    # Store real alerts the way production does, then preview.
    from alerting.detect.detector import load_detection
    from alerting.detect.run.engine import DetectionEngine
    from canhgac.config import DetectionConfig

    store = SQLiteStore(tmp_path / "store.db")
    try:
        compiled = load_detection(
            DetectionConfig(rules_dir=str(RULES), pipeline=[str(PIPELINE)]), "sqlite"
        )
        [rule] = [r for r in compiled.rules if r.id == FAILED_PASSWORD_ID]
        DetectionEngine(
            store, DetectionConfig(), clock=lambda: stored + timedelta(minutes=1)
        ).run_rule(rule)
    finally:
        store.close()
    draft = tmp_path / "draft.yml"
    draft.write_text(
        yaml.safe_dump(
            {
                "exceptions": [
                    {
                        "id": "internal-monitoring",
                        "rules": [FAILED_PASSWORD_ID],
                        "owner": "soc",
                        "reason": "monitoring probe",
                        "expires": "2099-01-01",
                        "match": {"source.ip|cidr": "10.20.0.0/16"},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    result = invoke("rules", "impact", str(draft), "--days", "2", "--config", str(config))
    assert result.exit_code == 0, result.output
    row = next(
        line for line in result.output.splitlines() if "SSH Password Authentication Failed" in line
    )
    assert [cell.strip() for cell in row.strip("│ ").split("│")][1:] == ["2", "1", "0", "2"]


# --- the field contract against the parsers ------------------------------------------------------
def _fixture_cases() -> Iterator[dict[str, Any]]:
    for fixture in RULES.rglob("*.tests.yml"):
        data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
        for block in ("must_fire", "must_not_fire"):
            for case in data[block]:
                yield from case if isinstance(case, list) else [case]


def test_every_field_the_parsers_produce_for_the_fixtures_is_in_the_contract() -> None:
    unknown = set()
    for case in _fixture_cases():
        if "line" not in case:
            continue
        event = fixture_event("contract", "x", {"parser": case["parser"], "line": case["line"]})
        assert isinstance(event, Event)
        dataset = str(event.fields["event.dataset"])
        unknown |= {(dataset, name) for name in event.fields if not is_known(name, {dataset})}
    assert unknown == set()


PARENT_GIT = "sel:\n    ParentImage|endswith: /git\n    Image|endswith: /bash\n  condition: sel"


def _with_sources(config: Path, tmp_path: Path, parsers: list[str]) -> str:
    sources = "".join(
        f"  - {{type: file, name: {name}, path: {tmp_path / name}.log, parser: {name}}}\n"
        for name in parsers
    )
    config.write_text(config.read_text(encoding="utf-8") + "sources:\n" + sources, "utf-8")
    return str(config)


@pytest.mark.parametrize(
    ("parsers", "warned"),
    [
        # only Sysmon for Linux records the parent image: an auditd-only site is warned
        (["auditd"], "its condition needs ParentImage, which no parser produces for auditd.log"),
        (["auditd", "sysmon_linux"], None),
        # a site without a Linux host source: none of the rule's datasets is collected
        (["windows"], "none of its datasets (auditd.log, sysmon_linux.log) is written by a"),
    ],
)
def test_check_judges_cannot_fire_by_the_configured_sources(
    tmp_path: Path, pack: Path, parsers: list[str], warned: str | None
) -> None:
    rule = pack / "linux" / "process_creation" / "lnx_git_child_shell.yml"
    rule.parent.mkdir(parents=True, exist_ok=True)
    linux = "product: linux\n  category: process_creation"
    rule.write_text(_rule("5b3f1b0e-0000-4000-8000-0000000000b7", linux, PARENT_GIT))
    config = _with_sources(config_file(tmp_path, pack), tmp_path, parsers)

    result = invoke("rules", "check", "--config", config)

    assert result.exit_code == 0, result.output
    ours = [text for text in result.output.splitlines() if str(rule) in text]
    if warned is None:
        assert not any("cannot fire" in text for text in ours), ours
    else:
        assert any(warned in text for text in ours), result.output
