"""The rules in the rules folder as the rules page and the overview show them: id, title,
level, tags, log source, schedule and file.

Only the YAML is read (safe loader), cached until a file changes, like
:class:`~alerting.triage.rule_index.RuleIndex`; a broken file is skipped here and reported by
``canhgac rules check``. The schedule is the rule's ``canhgac.interval`` as written, else the
detection's default interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

#: The rule's own settings block (alerting.detect.load.rule_settings; read as YAML here).
SETTINGS_KEY = "canhgac"
#: Tags of the ATT&CK tactics start with this (``attack.credential_access``).
ATTACK_PREFIX = "attack."


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
        return [_info(doc, relative, self._default) for doc in documents if _is_rule(doc)]

    def source(self, rule_id: str) -> tuple[str, str] | None:
        """The file of a rule: (path relative to the rules folder, its text)."""
        info = self.rules().get(rule_id)
        if info is None or self._dir is None:
            return None
        try:
            return info.path, (self._dir / info.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
