"""The project's own rule checks, beyond loading and converting (``canhgac rules check``).

* a rule without a ``<name>.tests.yml`` fixture next to it;
* a field that, after the pipeline's mapping, no dataset of the rule carries
  (:mod:`alerting.detect.field_contract`); for a correlation, its group-by and measured fields
  against each base rule's datasets;
* a rule that *cannot fire with the sources we collect*: its condition is false whatever the
  event, once the fields no dataset carries are absent (:mod:`alerting.detect.cannot_fire`).

Duplicate ids and correlations whose look-back exceeds ``detection.max_lookback`` are already
errors of loading and compiling. Every finding is ``path:line: message``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaString

from alerting.detect.cannot_fire import can_fire
from alerting.detect.compile.rules import CompiledRule
from alerting.detect.correlation.fields import FieldMapper, FieldProblem
from alerting.detect.correlation.run import BaseInput, CorrelationNode, CorrelationQuery
from alerting.detect.field_contract import dataset_of_channel, is_collected, is_known
from alerting.detect.load.ruleset import LoadedRule

FIXTURE_SUFFIX = ".tests.yml"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # "no tests" | "unknown field" | "cannot fire"
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def fixture_path(rule: CompiledRule) -> Path:
    path = Path(rule.source.path)
    return path.with_name(path.name.rsplit(".", 1)[0] + FIXTURE_SUFFIX)


def check_rules(
    rules: Sequence[CompiledRule],
    pipeline: ProcessingPipeline,
    collected: tuple[str, ...] | None = None,
) -> list[Finding]:
    """Findings for ``rules`` (scheduled ones and correlation inputs). ``collected``: the
    datasets the site's sources write (:func:`~alerting.detect.field_contract.collected_datasets`);
    None: every dataset the pipeline maps is taken as collected."""
    mapper = FieldMapper(pipeline)
    datasets: dict[str, set[str]] = {}
    findings: list[Finding] = []
    by_id = {rule.id: rule for rule in rules}
    for rule in rules:
        if not fixture_path(rule).exists():
            findings.append(
                Finding(
                    "no tests", str(rule.source.path), 1, f"no fixture {fixture_path(rule).name}"
                )
            )
        source = rule.source
        if isinstance(source, LoadedRule):
            datasets[rule.id] = rule_datasets(source.rule, pipeline)
            findings.extend(_unknown_fields(source, mapper, datasets[rule.id], collected))
    for rule in rules:
        if isinstance(rule.query, CorrelationQuery):
            findings.extend(_correlation_fields(rule, rule.query.root, by_id, datasets, pipeline))
    return findings


def cannot_fire_reasons(
    rules: Sequence[CompiledRule],
    pipeline: ProcessingPipeline,
    collected: tuple[str, ...] | None = None,
) -> dict[str, str]:
    """Rule id -> why it cannot fire with the sources we collect, for each such rule (what
    the rules page shows next to a scheduled rule); ``collected`` as for :func:`check_rules`."""
    mapper = FieldMapper(pipeline)
    reasons: dict[str, str] = {}
    for rule in rules:
        if isinstance(rule.source, LoadedRule):
            datasets = rule_datasets(rule.source.rule, pipeline)
            for finding in _unknown_fields(rule.source, mapper, datasets, collected):
                if finding.kind == "cannot fire":
                    reasons[rule.id] = finding.message
    return reasons


def rule_datasets(rule: SigmaRule, pipeline: ProcessingPipeline) -> set[str]:
    """The datasets the pipeline restricts ``rule`` to (empty: unknown, not checked)."""
    try:
        processed = (pipeline + ProcessingPipeline()).apply(copy.deepcopy(rule))
    except SigmaError:
        return set()
    assert isinstance(processed, SigmaRule)
    found: set[str] = set()
    for detection in processed.detection.detections.values():
        for item in _items(detection):
            for value in item.value:
                if not isinstance(value, SigmaString) or value.contains_special():
                    continue
                if item.field == "event.dataset":
                    found.add(str(value))
                elif item.field == "winlog.channel":
                    found.add(dataset_of_channel(str(value)))
    return {name for name in found if not name.startswith("unmapped:")}


CANNOT_FIRE = "cannot fire with the sources you collect"


def _unknown_fields(
    loaded: LoadedRule,
    mapper: FieldMapper,
    datasets: set[str],
    collected: tuple[str, ...] | None = None,
) -> Iterator[Finding]:
    if not datasets:
        return
    detection_line = loaded.line_of("detection")
    if collected is not None:
        # Only what the configured sources write: a rule whose fields only Sysmon has, on a
        # site collecting auditd alone, cannot fire there.
        kept = {name for name in datasets if is_collected(name, collected)}
        if not kept:
            yield Finding(
                "cannot fire",
                str(loaded.path),
                detection_line,
                f"{CANNOT_FIRE}: none of its datasets ({', '.join(sorted(datasets))}) is "
                "written by a configured source",
            )
            return
        datasets = kept
    missing = _missing_fields(loaded, mapper, datasets)
    for name, (unknown, _) in missing.items():
        line = loaded.lines.containing(name, start=detection_line) or detection_line
        shown = name if unknown == [name] else f"{name} (as {', '.join(unknown)})"
        yield Finding(
            "unknown field",
            str(loaded.path),
            line,
            f"field {shown} is not produced for {', '.join(sorted(datasets))}: "
            "conditions on it never match",
        )
    never = sorted(name for name, (_, every) in missing.items() if every)
    if never and not can_fire(loaded.rule, never.__contains__):
        yield Finding(
            "cannot fire",
            str(loaded.path),
            detection_line,
            f"{CANNOT_FIRE}: its condition needs {', '.join(never)}, which no parser produces "
            f"for {', '.join(sorted(datasets))}",
        )


def _missing_fields(
    loaded: LoadedRule, mapper: FieldMapper, datasets: set[str]
) -> dict[str, tuple[list[str], bool]]:
    """Rule field -> (its mapped fields no dataset carries, whether that is all of them)."""
    written = sorted(
        {
            item.field
            for d in loaded.rule.detection.detections.values()
            for item in _items(d)
            if item.field
        }
    )
    missing: dict[str, tuple[list[str], bool]] = {}
    for name in written:
        try:
            mapped = mapper.event_fields(loaded.rule, name)
        except FieldProblem:
            continue
        unknown = [field for field in mapped if not is_known(field, datasets)]
        if unknown:
            missing[name] = (unknown, len(unknown) == len(mapped))
    return missing


def _correlation_fields(
    rule: CompiledRule,
    node: CorrelationNode,
    by_id: dict[str, CompiledRule],
    datasets: dict[str, set[str]],
    pipeline: ProcessingPipeline,
) -> Iterator[Finding]:
    for slot, source in enumerate(node.inputs):
        if isinstance(source, CorrelationNode):
            yield from _correlation_fields(rule, source, by_id, datasets, pipeline)
            continue
        scope = datasets.get(source.rule_id, set())
        wanted = [*node.spec.slot_fields[slot], node.spec.slot_value_fields[slot]]
        for field in wanted:
            if field and scope and not is_known(field, scope):
                yield Finding(
                    "unknown field",
                    str(rule.source.path),
                    rule.source.line_of("correlation"),
                    f"correlation field {field} is not produced for rule {_title(source, by_id)} "
                    f"({', '.join(sorted(scope))}): it belongs to no group",
                )


def _title(source: BaseInput, by_id: dict[str, CompiledRule]) -> str:
    rule = by_id.get(source.rule_id)
    return f"'{rule.title}'" if rule else source.rule_id


def _items(node: SigmaDetection | SigmaDetectionItem) -> Iterator[SigmaDetectionItem]:
    if isinstance(node, SigmaDetectionItem):
        yield node
        return
    for item in node.detection_items:
        yield from _items(item)
