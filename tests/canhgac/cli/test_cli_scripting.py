"""A CLI that scripts well: --version, JSON Lines and CSV, tables never cut when piped, progress
only on a terminal, completion of option values and rules, backtest by title, Kibana queries."""

from __future__ import annotations

import csv
import io
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from canhgac.cli import app
from canhgac.cli.completion import complete_rule, complete_severity, rule_references
from canhgac.cli.progress import tracked
from canhgac.cli.rules_kibana import CASE_NOTE
from canhgac.cli.terminal import print_table
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"
FAILED_PASSWORD_ID = "40365c53-32a9-479e-ab95-11a1e6f75b8c"
LONG_IP = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"


def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'var'}\nstore:\n  type: sqlite\n  path: {tmp_path / 'store.db'}\n"
        f"detection:\n  rules_dir: {RULES}\n  pipeline: [{PIPELINE}]\n",
        encoding="utf-8",
    )
    return config


def invoke(*args: str, columns: int = 80) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})


def _alert(number: int, ip: str) -> Alert:
    return Alert(
        id=f"alert-{number:04d}",
        rule_id="ssh-bruteforce",
        rule_title="Đăng nhập SSH thất bại nhiều lần từ một địa chỉ",
        severity="high",
        first_seen=f"2026-11-27T03:0{number}:05.000000Z",
        last_seen=f"2026-11-27T03:0{number}:09.000000Z",
        event_ids=[f"e{number}"],
        snapshot={"host.name": "may-chu-cong-dich-vu-01", "user.name": "nguyễn", "source.ip": ip},
        created_at="2026-11-27T03:10:00.000000Z",
        updated_at="2026-11-27T03:10:00.000000Z",
    )


@pytest.fixture
def stored_alerts(tmp_path: Path) -> Path:
    store = SQLiteStore(tmp_path / "store.db")
    try:
        for number, ip in enumerate([LONG_IP, "203.0.113.250"], start=1):
            store.record_alert(_alert(number, ip), [f"e{number}"])
    finally:
        store.close()
    return config_file(tmp_path)


def test_version_prints_the_installed_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"canhgac {version('canhgac')}\n"


def test_alerts_list_json_is_one_object_per_line(stored_alerts: Path) -> None:
    for flags in (["--json"], ["--format", "json"]):
        result = invoke("alerts", "list", *flags, "--config", str(stored_alerts), columns=40)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert [json.loads(line)["id"] for line in lines] == ["alert-0002", "alert-0001"]
        assert json.loads(lines[1])["snapshot"]["source.ip"] == LONG_IP
        assert json.loads(lines[1])["snapshot"]["user.name"] == "nguyễn"


def test_alerts_list_csv_has_a_header_and_whole_values(stored_alerts: Path) -> None:
    result = invoke("alerts", "list", "--format", "csv", "--config", str(stored_alerts))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == [
        "last seen",
        "severity",
        "rule",
        "count",
        "status",
        "host",
        "user",
        "source.ip",
    ]
    assert [row[-1] for row in rows[1:]] == ["203.0.113.250", LONG_IP]
    assert rows[2][2] == "Đăng nhập SSH thất bại nhiều lần từ một địa chỉ"


def test_a_piped_table_keeps_every_cell_whole_however_narrow_the_terminal(
    stored_alerts: Path,
) -> None:
    result = invoke("alerts", "list", "--config", str(stored_alerts), columns=40)
    assert result.exit_code == 0, result.output
    assert LONG_IP in result.output
    assert "may-chu-cong-dich-vu-01" in result.output
    assert "Đăng nhập SSH thất bại nhiều lần từ một địa chỉ" in result.output
    assert "…" not in result.output


def test_a_table_on_a_terminal_still_fits_it() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=40, color_system=None)
    table = Table()
    table.add_column("source.ip")
    table.add_column("user")
    table.add_row(LONG_IP, "x" * 60)
    print_table(terminal, table)
    assert max(len(line) for line in out.getvalue().splitlines()) <= 40


def test_progress_shows_on_a_terminal_only() -> None:
    shown = io.StringIO()
    with tracked("rules test", total=3, console=Console(file=shown, force_terminal=True)) as bar:
        bar.at(2, 3)
        bar.advance()
    assert "rules test" in shown.getvalue()
    piped = io.StringIO()
    with tracked("rules test", total=3, console=Console(file=piped)) as bar:
        bar.at(2, 3)
    assert piped.getvalue() == ""


def test_rules_test_piped_prints_no_progress(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["rules", "test", str(RULES / "linux" / "sshd"), "--config", str(config_file(tmp_path))],
    )
    assert result.exit_code == 0, result.output
    assert "rules passed" in result.output
    assert "\r" not in result.output and "━" not in result.output


def test_option_values_complete_through_the_shell_protocol() -> None:
    result = CliRunner().invoke(
        app,
        [],
        prog_name="canhgac",
        env={
            "_CANHGAC_COMPLETE": "complete_bash",
            "COMP_WORDS": "canhgac alerts list --severity h",
            "COMP_CWORD": "4",
        },
    )
    assert result.output.split() == ["high"]
    result = CliRunner().invoke(
        app,
        [],
        prog_name="canhgac",
        env={
            "_CANHGAC_COMPLETE": "complete_bash",
            "COMP_WORDS": "canhgac rules test --store ",
            "COMP_CWORD": "4",
        },
    )
    assert result.output.split() == ["sqlite", "elasticsearch"]
    assert complete_severity("") == ["informational", "low", "medium", "high", "critical"]


def test_rule_references_complete_by_id_and_by_title(tmp_path: Path) -> None:
    references = dict(rule_references(RULES))
    assert references[FAILED_PASSWORD_ID] == "SSH Password Authentication Failed"
    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="canhgac")
    ctx.params["config"] = config_file(tmp_path)
    assert complete_rule(ctx, "40365c53") == [
        (FAILED_PASSWORD_ID, "SSH Password Authentication Failed")
    ]
    assert ("SSH Password Authentication Failed", FAILED_PASSWORD_ID) in complete_rule(
        ctx, "ssh pass"
    )


def test_backtest_takes_a_rule_by_its_title(tmp_path: Path) -> None:
    config = str(config_file(tmp_path))
    for reference in ("SSH Password Authentication Failed", "ssh password  authentication failed"):
        result = invoke(
            "rules", "backtest", reference, "--from", "2026-11-20", "--config", config, columns=200
        )
        assert result.exit_code == 0, result.output
        assert "SSH Password Authentication Failed: 0 alerts from 0 matched events" in result.output
    result = invoke(
        "rules", "backtest", "No Such Title", "--from", "2026-11-20", "--config", config
    )
    assert result.exit_code == 1
    assert "no runnable rule matches 'No Such Title'" in result.output


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("lucene", "event.dataset:"),
        ("esql", '| where event.dataset=="system.auth"'),
    ],
)
def test_convert_prints_kibana_languages_with_the_case_note(
    tmp_path: Path, target: str, expected: str
) -> None:
    result = invoke(
        "rules",
        "convert",
        "SSH Password Authentication Failed",
        "--target",
        target,
        "--config",
        str(config_file(tmp_path)),
        columns=400,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{target} — SSH Password Authentication Failed ({FAILED_PASSWORD_ID})"
    assert expected in lines[1]
    assert lines[-1] == CASE_NOTE


def test_convert_target_dsl_prints_only_the_elasticsearch_query(tmp_path: Path) -> None:
    result = invoke(
        "rules", "convert", FAILED_PASSWORD_ID, "--target", "dsl",
        "--config", str(config_file(tmp_path)), columns=400,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("elasticsearch — SSH Password Authentication Failed")
    assert "sqlite —" not in result.output
    assert "bool" in json.loads(result.output.split("\n", 1)[1])
