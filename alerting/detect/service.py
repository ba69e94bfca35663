"""The entry points the CLI calls: load and compile the rules, build the scheduler."""

from __future__ import annotations

from collections.abc import Sequence

from alerting.detect.compile import CompiledRule, CompiledRuleSet, compile_rules
from alerting.detect.engine import Clock, DetectionEngine
from alerting.detect.pipeline import load_pipeline
from alerting.detect.ruleset import load_rules
from alerting.detect.scheduler import DetectionScheduler
from alerting.notify.routing import channels_for
from canhgac.config import AlertingConfig, DetectionConfig
from canhgac.models import Alert
from canhgac.store.base import Store
from canhgac.timeutil import utcnow


def load_detection(config: DetectionConfig, query_language: str) -> CompiledRuleSet:
    """Load ``config.rules_dir`` and compile it for ``query_language`` (a store's
    ``query_language``). Rule problems are in the result's ``errors`` and ``warnings``; a
    broken pipeline file raises :class:`~canhgac.errors.ConfigError`."""
    ruleset = load_rules(config.rules_dir)
    pipeline = load_pipeline(config.pipeline)
    return compile_rules(
        ruleset, pipeline, query_language, default_interval=config.default_interval
    )


def build_scheduler(
    rules: CompiledRuleSet | Sequence[CompiledRule],
    store: Store,
    detection: DetectionConfig,
    alerting: AlertingConfig,
    *,
    clock: Clock = utcnow,
) -> DetectionScheduler:
    """A scheduler running ``rules`` against ``store``; new alerts are enqueued for the
    channels :func:`alerting.notify.routing.channels_for` picks."""

    def route(alert: Alert) -> list[str]:
        return channels_for(alert, alerting)

    engine = DetectionEngine(store, detection, route=route, clock=clock)
    runnable = rules.rules if isinstance(rules, CompiledRuleSet) else list(rules)
    return DetectionScheduler(
        engine, runnable, jitter_seconds=detection.jitter_seconds, clock=clock
    )
