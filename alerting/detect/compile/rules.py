"""Compile loaded rules into the query language of the store they will run against.

:data:`QUERY_COMPILERS` maps :attr:`Store.query_language` to a compiler; a test checks every
store in :mod:`canhgac.store` has one. A rule that fails to compile is a rule error like any
load error; a rule whose log source no pipeline maps compiles but earns a warning.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sigma.exceptions import SigmaError, SigmaTransformationError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from alerting.alerts import AlertRule, severity_for
from alerting.detect.compile.elasticsearch.backend import compile_elasticsearch
from alerting.detect.compile.query import QueryCompiler
from alerting.detect.compile.sqlite.backend import compile_sqlite
from alerting.detect.load.correlations import LoadedCorrelation
from alerting.detect.load.ruleset import LoadedRule, RuleSet, one_line, sigma_error_line
from canhgac.errors import RuleError

log = logging.getLogger(__name__)

QUERY_COMPILERS: dict[str, QueryCompiler] = {
    "sqlite": compile_sqlite,
    "elasticsearch": compile_elasticsearch,
}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its store query, schedule and alert template. A correlation's
    query evaluates its base rules' queries
    (:class:`alerting.detect.run.window_round.WindowEvaluator`)."""

    source: LoadedRule | LoadedCorrelation
    query: Any
    interval: timedelta
    alert_rule: AlertRule

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def title(self) -> str:
        return self.source.title


@dataclass(slots=True)
class CompiledRuleSet:
    """The runnable rules, every rule error (load and compile) and the warnings."""

    rules: list[CompiledRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Rules that only feed correlations (``generate: false``): compiled and tested, not run.
    correlation_inputs: list[CompiledRule] = field(default_factory=list)


def compile_rules(
    ruleset: RuleSet,
    pipeline: ProcessingPipeline,
    language: str,
    *,
    default_interval: timedelta,
) -> CompiledRuleSet:
    """Compile every loaded rule for ``language``; a failing rule never stops the others."""
    try:
        compiler = QUERY_COMPILERS[language]
    except KeyError:
        raise RuleError(f"no rule compiler for query language {language!r}") from None
    result = CompiledRuleSet(errors=list(ruleset.errors))
    for loaded in ruleset.rules:
        try:
            # The pipeline rewrites the rule in place; the loaded rule stays pristine.
            compiled = compiler(copy.deepcopy(loaded.rule), pipeline)
        except SigmaError as exc:
            result.errors.append(_compile_error(loaded, exc))
            continue
        except Exception as exc:  # a pySigma bug on one rule must not stop the rest
            log.exception("rule %s: unexpected error while compiling", loaded.path)
            result.errors.append(loaded.error(f"cannot compile rule: {one_line(str(exc))}"))
            continue
        if not compiled.logsource_mapped:
            result.warnings.append(
                f"{loaded.path}:{loaded.line_of('logsource')}: logsource "
                f"{describe_logsource(loaded.rule)} is not mapped; the rule would scan every event"
            )
        result.rules.append(
            CompiledRule(
                source=loaded,
                query=compiled.query,
                interval=loaded.settings.interval or default_interval,
                alert_rule=alert_rule_for(loaded),
            )
        )
    return result


def alert_rule_for(loaded: LoadedRule | LoadedCorrelation) -> AlertRule:
    rule = loaded.rule
    settings = loaded.settings
    return AlertRule(
        id=loaded.id,
        title=loaded.title,
        severity=severity_for(rule.level.name if rule.level is not None else None),
        description=rule.description or "",
        path=str(loaded.path),
        tags=tuple(str(tag) for tag in rule.tags),
        references=tuple(rule.references),
        author=rule.author or "",
        group_by=settings.group_by,
        suppress=settings.suppress_window if settings.groups else None,
    )


def describe_logsource(rule: SigmaRule) -> str:
    source = rule.logsource
    parts = [
        f"{name}={value}"
        for name in ("product", "category", "service")
        if (value := getattr(source, name, None))
    ]
    return "(" + " ".join(parts) + ")" if parts else "(empty)"


def _compile_error(loaded: LoadedRule, exc: SigmaError) -> RuleError:
    message = one_line(str(exc.args[0]) if exc.args else type(exc).__name__)
    if isinstance(exc, SigmaTransformationError):
        # rule_failure items refuse a rule for its log source.
        return loaded.error(message, "logsource")
    return RuleError(message, str(loaded.path), sigma_error_line(exc, loaded.lines))
