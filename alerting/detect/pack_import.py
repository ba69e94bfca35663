"""Judge a SigmaHQ-style rule pack: which rules we can run, and why the others cannot.

Every rule file of the pack is loaded and compiled exactly as production would (filters,
correlations, the configured pipeline) for every store language, then checked like
``canhgac rules check``. A rule is *runnable* when it loads and converts for every store: its
log source is one we collect (the pipeline refuses the others) and every construct it uses has
a faithful query. Each other rule keeps the first reason it was refused, as ``path:line:``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.rules import CompiledRuleSet
from alerting.detect.detector import compile_detection
from alerting.detect.load.correlations import LoadedCorrelation
from alerting.detect.load.ruleset import LoadedFilter, LoadedRule, load_rules, rule_files
from alerting.detect.rule_checks import Finding, check_rules
from alerting.detect.store_probe import refuse_rejected
from canhgac.config import DetectionConfig
from canhgac.store.base import EventReader
from canhgac.timeutil import utcnow


@dataclass(slots=True)
class RuleVerdict:
    """What happened to one rule file of the pack."""

    path: Path
    titles: list[str] = field(default_factory=list)
    converted: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # "cannot fire with the sources you collect" (also in warnings, or problems if strict).
    cannot_fire: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return bool(self.titles)

    @property
    def runnable(self) -> bool:
        return self.loaded and not self.problems and all(self.converted.values())

    @property
    def passes_check(self) -> bool:
        # Missing fixtures are expected of an imported pack; unknown fields are not.
        return self.runnable and not self.warnings


@dataclass(slots=True)
class PackAssessment:
    source: Path
    languages: tuple[str, ...]
    verdicts: list[RuleVerdict]

    def count(self, what: str, language: str | None = None) -> int:
        if what == "converted":
            return sum(1 for v in self.verdicts if v.converted.get(str(language)))
        return sum(1 for v in self.verdicts if getattr(v, what))

    def reasons(self) -> list[tuple[str, int]]:
        """Why rules were refused, most common first (values quoted in a message are
        generalised so one cause is one line)."""
        return Counter(
            reason_kind(v.problems[0]) for v in self.verdicts if v.problems
        ).most_common()


def reason_kind(problem: str) -> str:
    message = problem.split(": ", 1)[1] if re.match(r"^.+?:\d+: ", problem) else problem
    return re.sub(r"'[^']*'", "'…'", message)[:200]


def assess_pack(
    source: Path,
    pipeline: ProcessingPipeline,
    config: DetectionConfig,
    languages: Sequence[str],
    known_ids: dict[str, str] | None = None,
    on_step: Callable[[str], object] | None = None,
    probe: EventReader | None = None,
    strict: bool = False,
    collected: tuple[str, ...] | None = None,
) -> PackAssessment:
    """Load and compile every rule under ``source``; ``known_ids`` (rule id -> where) are
    taken already (the rules the pack is imported next to). ``on_step(what)`` is called as
    each of the ``2 + len(languages)`` steps begins (a progress bar). Every query compiled
    for ``probe``'s language is run once on it, and refused when the store rejects it
    (:mod:`alerting.detect.store_probe`). A rule that cannot fire with the sources we
    collect (:mod:`alerting.detect.cannot_fire`; ``collected``: the datasets the site's
    sources write, None for every dataset the pipeline maps) is imported with a warning, or
    refused when ``strict``."""
    step = on_step or (lambda what: None)
    step("loading rules")
    ruleset = load_rules(source)
    config = config.model_copy(update={"rules_dir": str(source)})
    compiled: dict[str, CompiledRuleSet] = {}
    for lang in languages:
        step(f"converting for {lang}")
        compiled[lang] = compile_detection(ruleset, pipeline, lang, config)
        if probe is not None and probe.query_language == lang:
            refuse_rejected(compiled[lang], probe, utcnow())
    verdicts = {path: RuleVerdict(path) for path in rule_files(source)}
    items: list[LoadedRule | LoadedCorrelation | LoadedFilter] = [
        *ruleset.rules,
        *ruleset.correlations,
        *ruleset.filters,
    ]
    for item in items:
        verdict = verdicts[item.path]
        verdict.titles.append(item.title)
        if known_ids and item.id in known_ids:
            verdict.problems.append(
                f"{item.path}:{item.lines.key('id') or 1}: rule id {item.id} is already used by "
                f"{known_ids[item.id]}"
            )
    for language, result in compiled.items():
        _record(verdicts, language, result)
    first = compiled[languages[0]]
    step("checking rules")
    checked = [*first.rules, *first.correlation_inputs]
    for finding in check_rules(checked, pipeline, collected):
        if finding.kind != "no tests" and Path(finding.path) in verdicts:
            _record_finding(verdicts[Path(finding.path)], finding, strict)
    return PackAssessment(source, tuple(languages), list(verdicts.values()))


def _record_finding(verdict: RuleVerdict, finding: Finding, strict: bool) -> None:
    if finding.kind == "cannot fire":
        verdict.cannot_fire.append(str(finding))
        if strict:
            verdict.problems.append(str(finding))
            return
    verdict.warnings.append(str(finding))


def _record(verdicts: dict[Path, RuleVerdict], language: str, result: CompiledRuleSet) -> None:
    converted = {Path(r.source.path) for r in [*result.rules, *result.correlation_inputs]}
    for path, verdict in verdicts.items():
        verdict.converted[language] = path in converted
    for error in result.errors:
        found = verdicts.get(Path(error.path)) if error.path else None
        if found is None:
            continue
        text = str(error) if language == "sqlite" else f"{error} (on {language})"
        if str(error) not in "\n".join(found.problems):
            found.problems.append(text)
