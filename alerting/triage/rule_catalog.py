"""The rules in the rules folder as the rules page and the overview show them: id, title,
level, tags, log source, schedule and file.

Only the YAML is read (safe loader), cached until a file changes, like
:class:`~alerting.triage.rule_index.RuleIndex`; a broken file is skipped here and reported by
``canhgac rules check``. The schedule is the rule's ``canhgac.interval`` as written, else the
detection's default interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

#: The rule's own settings block (alerting.detect.load.rule_settings; read as YAML here).
SETTINGS_KEY = "canhgac"
#: Tags of the ATT&CK tactics start with this (``attack.credential_access``).
ATTACK_PREFIX = "attack."
#: A rule's must-fire / must-not-fire events sit beside it: ``x.yml`` -> ``x.tests.yml``.
TESTS_SUFFIX = ".tests.yml"


def tests_path(rule_path: str) -> str:
    """The path of a rule file's tests file (``linux/ssh_brute.yml`` -> ``.tests.yml``)."""
    stem = rule_path.rsplit(".", 1)[0]
    return stem + TESTS_SUFFIX


@dataclass(frozen=True, slots=True)
class RuleInfo:
    rule_id: str
    title: str
    level: str
    status: str
    tags: tuple[str, ...]
    logsource: str
    schedule: str
    path: str  # relative to the rules folder
    #: A tests file sits beside it (:func:`tests_path`).
    has_tests: bool = False

    @property
    def is_correlation(self) -> bool:
        return self.logsource == ""


def interval_text(interval: timedelta) -> str:
    """``1m``, ``30s``, ``2h``: how rule files write an interval."""
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _logsource(doc: Mapping[str, Any]) -> str:
    source = doc.get("logsource")
    if not isinstance(source, Mapping):
        return ""
    parts = (source.get(k) for k in ("product", "service", "category"))
    return " / ".join(str(p) for p in parts if p)


def _schedule(doc: Mapping[str, Any], default: str) -> str:
    settings = doc.get(SETTINGS_KEY)
    if isinstance(settings, Mapping) and settings.get("interval"):
        return str(settings["interval"])
    return default


def _info(doc: Mapping[str, Any], path: str, default_schedule: str) -> RuleInfo:
    tags = doc.get("tags")
    return RuleInfo(
        rule_id=str(doc["id"]),
        title=str(doc.get("title") or doc["id"]),
        level=str(doc.get("level") or ""),
        status=str(doc.get("status") or ""),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        logsource=_logsource(doc),
        schedule=_schedule(doc, default_schedule),
        path=path,
    )


def _is_rule(doc: Any) -> bool:
    return isinstance(doc, dict) and "id" in doc and ("detection" in doc or "correlation" in doc)


class RuleCatalog:
    def __init__(self, rules_dir: str | Path | None, default_interval: timedelta) -> None:
        self._dir = Path(rules_dir) if rules_dir else None
        self._default = interval_text(default_interval)
        self._stamp: tuple[tuple[str, float], ...] = ()
        self._rules: dict[str, RuleInfo] = {}

    def _files(self) -> list[Path]:
        if self._dir is None or not self._dir.is_dir():
            return []
        return sorted(self._dir.rglob("*.yml")) + sorted(self._dir.rglob("*.yaml"))

    def rules(self) -> dict[str, RuleInfo]:
        """Rule id -> its description, by id."""
        files = self._files()
        stamp = tuple((str(f), f.stat().st_mtime) for f in files)
        if stamp != self._stamp:
            found = [info for f in files for info in self._read(f)]
            self._rules = {info.rule_id: info for info in sorted(found, key=lambda i: i.rule_id)}
            self._stamp = stamp
        return dict(self._rules)

    def _read(self, path: Path) -> list[RuleInfo]:
        assert self._dir is not None
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return []
        relative = path.relative_to(self._dir).as_posix()
        has_tests = (self._dir / tests_path(relative)).is_file()
        return [
            replace(_info(doc, relative, self._default), has_tests=has_tests)
            for doc in documents
            if _is_rule(doc)
        ]

    def source(self, rule_id: str) -> tuple[str, str] | None:
        """The file of a rule: (path relative to the rules folder, its text)."""
        info = self.rules().get(rule_id)
        return None if info is None else self._text(info.path)

    def tests(self, rule_id: str) -> tuple[str, str] | None:
        """The tests file beside a rule (:func:`tests_path`), if it has one."""
        info = self.rules().get(rule_id)
        return None if info is None else self._text(tests_path(info.path))

    def _text(self, relative: str) -> tuple[str, str] | None:
        if self._dir is None:
            return None
        try:
            return relative, (self._dir / relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def find(self, reference: str) -> list[RuleInfo]:
        """The rules ``reference`` names: a rule id, a rule file (relative to the rules folder
        or as a path to it), or a title in any case and spacing; ids first, then files."""
        rules = self.rules()
        if reference in rules:
            return [rules[reference]]
        path = Path(reference)
        folder = self._dir.resolve() if self._dir is not None else None
        if folder is not None and path.is_file() and folder in path.resolve().parents:
            path = path.resolve().relative_to(folder)
        by_file = [info for info in rules.values() if info.path == path.as_posix()]
        if by_file:
            return by_file
        title = " ".join(reference.split()).casefold()
        return [info for info in rules.values() if " ".join(info.title.split()).casefold() == title]
