"""Tab completion of option values and rule references (typer ``autocompletion``).

Rule ids and titles are read straight from the rule files' top-level ``id:`` and ``title:``
lines (no Sigma parsing, no conversion): a shell waits for this on every <Tab>.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import typer

from canhgac.models import AlertStatus, Severity
from canhgac.store.incidents import IncidentStatus

_TOP_LEVEL = re.compile(r"^(id|title):\s*(.+?)\s*$", re.MULTILINE)
_RULE_SUFFIXES = (".yml", ".yaml")
#: Enough candidates for a shell to show; a folder of 3,000 SigmaHQ rules is not listed whole.
MAX_CANDIDATES = 200


def _starting(values: Iterable[str], incomplete: str) -> list[str]:
    return [value for value in values if value.casefold().startswith(incomplete.casefold())]


def complete_fixture_store(incomplete: str) -> list[str]:
    return _starting(["sqlite", "elasticsearch"], incomplete)


def complete_status(incomplete: str) -> list[str]:
    return _starting([status.value for status in AlertStatus], incomplete)


def complete_incident_status(incomplete: str) -> list[str]:
    return _starting([status.value for status in IncidentStatus], incomplete)


def complete_severity(incomplete: str) -> list[str]:
    return _starting([severity.value for severity in Severity], incomplete)


def rule_references(rules_dir: Path) -> list[tuple[str, str]]:
    """(id, title) of every rule file under ``rules_dir`` that has both lines."""
    found: list[tuple[str, str]] = []
    for path in sorted(rules_dir.rglob("*")):
        if not path.name.endswith(_RULE_SUFFIXES) or path.name.endswith(".tests.yml"):
            continue
        try:
            fields = dict(_TOP_LEVEL.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
        if "id" in fields and "title" in fields:
            found.append((fields["id"].strip("'\""), fields["title"].strip("'\"")))
    return found


def complete_rule(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Rule ids (with the title as help) and titles that start with what was typed."""
    from canhgac.cli.options import settings_from

    try:
        config = ctx.params.get("config")
        rules_dir = Path(settings_from(config).detection.rules_dir)
    except Exception:  # noqa: BLE001 - a broken config must not break the shell's <Tab>
        return []
    candidates: list[tuple[str, str]] = []
    for rule_id, title in rule_references(rules_dir):
        if rule_id.casefold().startswith(incomplete.casefold()):
            candidates.append((rule_id, title))
        elif title.casefold().startswith(incomplete.casefold()):
            candidates.append((title, rule_id))
    return candidates[:MAX_CANDIDATES]
