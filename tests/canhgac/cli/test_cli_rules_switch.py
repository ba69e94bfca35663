"""`canhgac rules disable|enable`: through the real command line on real SQLite stores, the
switch lands where detection and the rules page read it, audited with the console's login."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from canhgac.cli import app
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.sqlite.triage import SQLiteTriageStore

RULE = """\
title: Đăng nhập SSH thất bại
id: rule-ssh-failed
status: test
level: medium
logsource: {product: linux, service: sshd}
detection: {sel: {event.action: failed}, condition: sel}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    (rules / "linux").mkdir(parents=True)
    (rules / "linux" / "ssh.yml").write_text(RULE, encoding="utf-8")
    twin = RULE.replace("rule-ssh-failed", "rule-twin").replace("medium", "low")
    (rules / "linux" / "twin.yml").write_text(twin, encoding="utf-8")
    other = RULE.replace("rule-ssh-failed", "rule-other").replace("Đăng nhập", "Khác")
    (rules / "other.yml").write_text(other, encoding="utf-8")
    path = tmp_path / "canhgac.yaml"
    path.write_text(
        f"data_dir: {tmp_path / 'var'}\nstore:\n  type: sqlite\n  path: {tmp_path / 'store.db'}\n"
        f"detection:\n  rules_dir: {rules}\n",
        encoding="utf-8",
    )
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "240"})


def _said(result: Result) -> str:
    """What the user reads: the output, or the one-line error ``main`` prints for an error."""
    return result.output + str(result.exception or "")


def _switches(tmp_path: Path) -> dict[str, bool]:
    store = SQLiteStore(tmp_path / "store.db")
    try:
        found = store.get_rule_switches(["rule-ssh-failed", "rule-twin", "rule-other"])
        return {rule_id: switch.enabled for rule_id, switch in found.items()}
    finally:
        store.close()


def test_disable_and_enable_by_id_file_and_title(config: Path, tmp_path: Path) -> None:
    off = _run("rules", "disable", "rule-other", "--reason", "ồn quá", "--config", str(config))
    assert off.exit_code == 0, off.output
    assert "rule-other" in off.output and "disabled" in off.output
    by_file = str(tmp_path / "rules" / "linux" / "ssh.yml")
    assert (
        _run("rules", "disable", by_file, "--reason", "x", "--config", str(config)).exit_code == 0
    )
    assert _switches(tmp_path) == {"rule-other": False, "rule-ssh-failed": False}

    on = _run("rules", "enable", "KHÁC  SSH thất bại", "--reason", "ok", "--config", str(config))
    assert on.exit_code == 0, on.output
    assert _switches(tmp_path)["rule-other"] is True

    triage = SQLiteTriageStore(tmp_path / "store.db")
    try:
        audit = [e for e in reversed(triage.list_audit()) if e.action.startswith("rule.")]
    finally:
        triage.close()
    assert [(e.action, e.target) for e in audit] == [
        ("rule.disable", "rule:rule-other"),
        ("rule.disable", "rule:rule-ssh-failed"),
        ("rule.enable", "rule:rule-other"),
    ]
    assert all(e.actor.startswith("cli") for e in audit)
    assert audit[0].after is not None and audit[0].after["reason"] == "ồn quá"


def test_refusals_change_nothing(config: Path, tmp_path: Path) -> None:
    title = "đăng nhập ssh thất bại"
    ambiguous = _run("rules", "disable", title, "--reason", "x", "--config", str(config))
    assert ambiguous.exit_code == 1
    assert "names 2 rules" in _said(ambiguous) and "rule-twin" in _said(ambiguous)
    unknown = _run("rules", "disable", "nope", "--reason", "x", "--config", str(config))
    assert unknown.exit_code == 1 and "no loaded rule" in _said(unknown)
    empty = _run("rules", "disable", "rule-twin", "--reason", "  ", "--config", str(config))
    assert empty.exit_code == 1 and "needs a reason" in _said(empty)
    already = _run("rules", "enable", "rule-twin", "--reason", "x", "--config", str(config))
    assert already.exit_code == 1 and "already enabled" in _said(already)
    missing = _run("rules", "disable", "rule-twin", "--config", str(config))
    assert missing.exit_code == 2  # --reason is required
    assert _switches(tmp_path) == {}
