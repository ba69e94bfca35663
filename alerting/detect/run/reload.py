"""Hot reload: rule edits reach the running scheduler without a restart.

A thread polls the modification times of the rule files, the pipeline files and the exception
files every few seconds (no inotify: it works the same on every filesystem, containers and
network mounts included). It also recompiles when the date changes in Hanoi, so an exception
stops applying the day after it expires.

On a change, everything is compiled again the way it is at start-up, and the scheduler is given
the new set (jobs added, removed, rescheduled). A broken edit never takes a rule away: a rule
whose file now has an error -- or, for a correlation, one of the files it reads -- keeps running
in its last good version, and the error is logged. A broken pipeline file keeps every rule as
it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet
from alerting.detect.correlation.run import CorrelationNode, CorrelationQuery
from alerting.detect.load.suppressions import today_in_hanoi
from canhgac.errors import CanhGacError
from canhgac.lifecycle import Periodic

log = logging.getLogger(__name__)

RELOAD_EVERY_S = 5.0
WATCHED_SUFFIXES = (".yml", ".yaml")

Snapshot = tuple[date, frozenset[tuple[str, int, int]]]


def snapshot(paths: Iterable[Path], today: date) -> Snapshot:
    """What a change is: a file added, removed or rewritten (mtime or size), or a new day."""
    found = set()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.add((str(path), stat.st_mtime_ns, stat.st_size))
    return today, frozenset(found)


def watched_files(rules_dir: Path, pipelines: Sequence[str | Path]) -> list[Path]:
    rules = [
        path
        for path in rules_dir.rglob("*")
        if path.suffix in WATCHED_SUFFIXES and not path.name.endswith((".tests.yml", ".tests.yaml"))
    ]
    return sorted({*rules, *(Path(p) for p in pipelines)})


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def merge(
    previous: dict[str, CompiledRule], compiled: CompiledRuleSet
) -> tuple[list[CompiledRule], ReloadOutcome]:
    """The rules to run after a reload: the newly compiled ones, plus the last good version
    of every rule that is missing only because a file it depends on is broken now."""
    broken = {str(error.path) for error in compiled.errors if error.path}
    new = {rule.id: rule for rule in compiled.rules}
    silenced = {rule.id for rule in compiled.correlation_inputs}
    kept = [
        rule
        for rule_id, rule in previous.items()
        if rule_id not in new
        and rule_id not in silenced
        and _depends_on(rule, previous) & broken
        and Path(rule.source.path).exists()
    ]
    running = [*compiled.rules, *kept]
    outcome = ReloadOutcome(
        added=sorted(new.keys() - previous.keys()),
        removed=sorted(previous.keys() - {rule.id for rule in running}),
        updated=sorted(rule_id for rule_id in new.keys() & previous.keys()),
        kept=sorted(rule.id for rule in kept),
        errors=[str(error) for error in compiled.errors],
    )
    return running, outcome


def _depends_on(rule: CompiledRule, known: dict[str, CompiledRule]) -> set[str]:
    """The files whose breakage keeps ``rule`` at its last good version."""
    paths = {str(rule.source.path)}
    if isinstance(rule.query, CorrelationQuery):
        for rule_id in _base_ids(rule.query.root):
            if rule_id in known:
                paths.add(str(known[rule_id].source.path))
    return paths


def _base_ids(node: CorrelationNode) -> set[str]:
    ids = {base.rule_id for base in node.base_inputs().values()}
    ids.update(item.spec.rule_id for item in node.inputs if isinstance(item, CorrelationNode))
    return ids


class RuleReloader:
    """Polls the watched files; on a change recompiles and calls ``apply`` with the rules to
    run. :meth:`check` does one poll in the caller's thread (tests, and the thread's loop)."""

    def __init__(
        self,
        load: Callable[[], CompiledRuleSet],
        files: Callable[[], list[Path]],
        apply: Callable[[list[CompiledRule]], None],
        current: CompiledRuleSet,
        *,
        every: float = RELOAD_EVERY_S,
        today: Callable[[], date] = today_in_hanoi,
    ) -> None:
        self._load, self._files, self._apply, self._today = load, files, apply, today
        self._known = {r.id: r for r in [*current.rules, *current.correlation_inputs]}
        self._running = {r.id: r for r in current.rules}
        self._seen = snapshot(files(), today())
        self._poller = Periodic(
            "rule-reloader", every, self.check, "rule reload failed; running rules unchanged"
        )

    def check(self) -> ReloadOutcome | None:
        """Reload if anything changed since the last check; None if nothing did."""
        seen = snapshot(self._files(), self._today())
        if seen == self._seen:
            return None
        self._seen = seen
        try:
            compiled = self._load()
        except CanhGacError as exc:
            log.error("rules not reloaded, every rule keeps running as it was: %s", exc)
            return ReloadOutcome(errors=[str(exc)])
        running, outcome = merge(self._known | self._running, compiled)
        for error in outcome.errors:
            log.error("rule refused on reload: %s", error)
        for rule_id in outcome.kept:
            log.warning("rule %s keeps running in its last good version", rule_id)
        self._known = {r.id: r for r in [*running, *compiled.correlation_inputs]}
        self._running = {r.id: r for r in running}
        self._apply(running)
        log.info(
            "rules reloaded: %d running (%d added, %d removed, %d kept at their last good "
            "version), %d errors",
            len(running),
            len(outcome.added),
            len(outcome.removed),
            len(outcome.kept),
            len(outcome.errors),
        )
        return outcome

    def start(self) -> None:
        self._poller.start()

    def stop(self) -> None:
        self._poller.stop()
