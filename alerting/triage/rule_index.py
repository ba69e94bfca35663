"""The ids of the rules in the rules folder, for the overview's schedule-delay table.

Only each file's top-level ``id`` is read (YAML safe loader), and the result is cached until a
file changes, so the overview does not re-parse the rule set on every view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class RuleIndex:
    def __init__(self, rules_dir: str | Path | None) -> None:
        self._dir = Path(rules_dir) if rules_dir else None
        self._stamp: tuple[tuple[str, float], ...] = ()
        self._ids: list[str] = []

    def __call__(self) -> list[str]:
        if self._dir is None or not self._dir.is_dir():
            return []
        files = sorted(self._dir.rglob("*.yml")) + sorted(self._dir.rglob("*.yaml"))
        stamp = tuple((str(f), f.stat().st_mtime) for f in files)
        if stamp != self._stamp:
            self._ids = sorted({i for f in files for i in _rule_ids(f)})
            self._stamp = stamp
        return list(self._ids)


def _rule_ids(path: Path) -> list[str]:
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # `canhgac rules check` reports broken files; the overview skips them
    return [str(doc["id"]) for doc in documents if _is_rule(doc)]


def _is_rule(doc: Any) -> bool:
    return isinstance(doc, dict) and "id" in doc and ("detection" in doc or "correlation" in doc)
