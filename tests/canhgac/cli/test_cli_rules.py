"""`canhgac rules check|test` through the real command line, on the real pack and on bad rules."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from canhgac.cli import app

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"


def _config(tmp_path: Path, rules_dir: Path) -> Path:
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"detection:\n  rules_dir: {rules_dir}\n  pipeline: [{PIPELINE}]\n", encoding="utf-8"
    )
    return config


def _copy_rule(tmp_path: Path, stem: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    [source] = RULES.rglob(f"{stem}.yml")
    shutil.copy(source, rules / source.name)
    shutil.copy(source.with_name(f"{stem}.tests.yml"), rules / f"{stem}.tests.yml")
    return rules


def test_the_project_pack_passes_every_fixture(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "test", "--config", str(_config(tmp_path, RULES))])
    assert result.exit_code == 0, result.output
    assert " 0 failed, 0 without tests, 0 refused" in result.output


def test_a_wrong_fixture_fails_and_names_the_event(tmp_path: Path) -> None:
    rules = _copy_rule(tmp_path, "lnx_sshd_invalid_user")
    fixture = rules / "lnx_sshd_invalid_user.tests.yml"
    text = fixture.read_text(encoding="utf-8")
    # Swap the lists: every must_fire event now must not fire, and the other way round.
    fixture.write_text(
        text.replace("must_fire:", "TMP:")
        .replace("must_not_fire:", "must_fire:")
        .replace("TMP:", "must_not_fire:"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["rules", "test", "--config", str(_config(tmp_path, rules))])
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "Invalid user admin from 203.0.113.5" in result.output
    assert "0 rules passed, 1 failed" in result.output


def test_check_reports_each_broken_rule_as_path_line(tmp_path: Path) -> None:
    rules = _copy_rule(tmp_path, "lnx_sshd_invalid_user")
    (rules / "broken.yml").write_text(
        "title: Broken\nid: not-a-uuid\nlogsource:\n  product: linux\n  service: sshd\n"
        "detection:\n  sel: [x]\n  condition: sel\nlevel: high\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["rules", "check", "--config", str(_config(tmp_path, rules))], terminal_width=200
    )
    assert result.exit_code == 1
    assert f"{rules / 'broken.yml'}:2:" in result.output
    assert "│                    1 │      1 │" in result.output
