"""Suppressions as the rest of the system uses them: load, draft, preview impact.

The one module outside detection reaches for suppressions (the triage UI's "exception from
this alert", ``canhgac rules impact``): the file model a draft is written as and the folder it
goes to, loading them back, and the impact preview with the rules it runs through. In code
they are suppressions; files, CLI, API and UI call them exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRule
from alerting.detect.detector import load_detection
from alerting.detect.load.suppressions import (
    SUPPRESSIONS_DIR,
    LoadedSuppression,
    RuleSuppression,
    SuppressionFile,
    SuppressionSet,
    load_suppressions,
    today_in_hanoi,
)
from alerting.detect.suppression_impact import ImpactReport, RuleImpact, preview_impact
from canhgac.config import DetectionConfig

__all__ = [
    "SUPPRESSIONS_DIR",
    "ImpactReport",
    "LoadedSuppression",
    "PreviewRules",
    "RuleImpact",
    "RuleSuppression",
    "SuppressionFile",
    "SuppressionSet",
    "load_suppressions",
    "preview_impact",
    "preview_rules",
    "today_in_hanoi",
]


@dataclass(frozen=True, slots=True)
class PreviewRules:
    """What a preview runs through: every compiled rule a suppression can name (scheduled
    rules and correlation inputs) and the pipeline they were compiled with."""

    rules: list[CompiledRule]
    pipeline: ProcessingPipeline


def preview_rules(detection: DetectionConfig, query_language: str) -> PreviewRules:
    """The rules as detection compiles them for a store of ``query_language``."""
    compiled = load_detection(detection, query_language)
    return PreviewRules(
        [*compiled.rules, *compiled.correlation_inputs], load_pipeline(detection.pipeline)
    )
