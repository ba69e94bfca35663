"""Processing pipelines: how Sigma field names and log sources map onto our ECS events.

The pipeline files (pySigma's YAML format) are applied in the configured order. A pipeline maps
a rule's ``logsource`` to conditions on ``event.dataset`` and friends; :func:`logsource_mapped`
tells whether that happened for a rule, because a rule without such a condition would scan
every event in the store. A pipeline says so in one of two ways:

* a ``set_state`` item setting ``logsource_mapped: true`` (the rule pack's convention, which
  also works inside ``nest`` items), or
* a top-level ``add_condition`` item conditioned on the rule's log source.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from sigma.exceptions import SigmaError
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import AddConditionTransformation
from sigma.rule import SigmaRule

from canhgac.errors import ConfigError

# The pipeline state key a pipeline sets when it mapped a rule's log source.
MAPPED_STATE_KEY = "logsource_mapped"


def load_pipeline(paths: Sequence[str | Path]) -> ProcessingPipeline:
    """The pipelines in ``paths`` concatenated in order; every broken file is reported."""
    pipelines: list[ProcessingPipeline] = []
    problems: list[str] = []
    for path in paths:
        try:
            pipelines.append(_load_one(Path(path)))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    return sum(pipelines, ProcessingPipeline())


def _load_one(path: Path) -> ProcessingPipeline:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}:1: cannot read processing pipeline: {exc}") from None
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{path}:{line}: invalid YAML: {_one_line(problem)}") from None
    try:
        return ProcessingPipeline.from_yaml(text)
    except (SigmaError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path}:1: invalid processing pipeline: {_one_line(exc)}") from None


def _one_line(problem: object) -> str:
    return " ".join(str(problem).split())


def logsource_mapped(applied: ProcessingPipeline, rule: SigmaRule) -> bool:
    """Whether the last ``applied.apply(rule)`` restricted ``rule`` to its log source."""
    if applied.state.get(MAPPED_STATE_KEY):
        return True
    added = {
        item.transformation.name
        for item in applied.items
        if isinstance(item, ProcessingItem)
        and isinstance(item.transformation, AddConditionTransformation)
        and _has_logsource_condition(item)
    }
    return any(name in rule.detection.detections for name in added)


def _has_logsource_condition(item: ProcessingItem) -> bool:
    conditions = item.rule_conditions
    listed = conditions.values() if isinstance(conditions, dict) else conditions
    return any(isinstance(condition, LogsourceCondition) for condition in listed)
