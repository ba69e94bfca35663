"""deploy/collectors/auditd/: the audit rules file is well-formed auditctl input, and every
key our rules match on is produced by some audit rule."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
AUDITD = ROOT / "deploy" / "collectors" / "auditd"
RULE_LINE = re.compile(
    r"^(-D|-b \d+|-f [012]|--backlog_wait_time \d+|-e [012]|-w \S+ -p [rwxa]+ -k \w+|-a always,(exit|exclude)( -F \S+| -S \S+)+ -k \w+)$"
)


def rule_lines() -> list[str]:
    text = (AUDITD / "canhgac-city.rules").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_every_line_is_an_auditctl_rule() -> None:
    bad = [line for line in rule_lines() if not RULE_LINE.match(line)]
    assert bad == []
    assert rule_lines()[0] == "-D" and rule_lines()[-1] == "-e 2"


def test_the_keys_our_rules_match_are_produced() -> None:
    keys = {line.rsplit(" -k ", 1)[1] for line in rule_lines() if " -k " in line}
    wanted: set[str] = set()
    for path in (ROOT / "rules" / "linux").rglob("*.yml"):
        if path.name.endswith(".tests.yml"):
            continue
        detection = yaml.safe_load(path.read_text(encoding="utf-8")).get("detection") or {}
        for selection in detection.values():
            if isinstance(selection, dict) and "key" in selection:
                value = selection["key"]
                wanted.update(value if isinstance(value, list) else [value])
    assert wanted, "no rule matches an audit key any more: update this test"
    # Keys of other common rule sets, which our rules accept too.
    assert wanted - {"etcpasswd", "etcgroup", "sudoers"} <= keys


def test_syscalls_for_each_sigma_category_are_audited() -> None:
    text = "\n".join(rule_lines())
    assert "-S execve" in text  # process_creation
    assert "-S connect" in text  # network_connection
    assert re.search(r"-w /etc/cron\.d/ -p w", text)  # file_event
