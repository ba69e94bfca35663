"""The entry points the CLI calls: load and compile the rules, build the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet, compile_rules
from alerting.detect.correlation.plan import compile_correlations
from alerting.detect.load.filters import apply_filters
from alerting.detect.load.ruleset import RuleSet, load_rules
from alerting.detect.load.suppressions import SUPPRESSIONS_DIR, load_suppressions, today_in_hanoi
from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.lease import RuleLeases
from alerting.detect.run.reload import RELOAD_EVERY_S, RuleReloader, watched_files
from alerting.detect.run.scheduler import DetectionScheduler
from alerting.detect.run.window_round import Clock
from alerting.detect.store_probe import probed
from alerting.notify.routing import channels_for
from canhgac.assets.lookup import AssetIndex
from canhgac.assets.priority import with_priority
from canhgac.config import AlertingConfig, DetectionConfig
from canhgac.models import Alert
from canhgac.store.base import Store
from canhgac.timeutil import utcnow

log = logging.getLogger(__name__)


def load_detection(
    config: DetectionConfig, query_language: str, *, today: date | None = None
) -> CompiledRuleSet:
    """Load ``config.rules_dir`` and compile it for ``query_language`` (a store's
    ``query_language``). Rule problems are in the result's ``errors`` and ``warnings``; a
    broken pipeline file raises :class:`~canhgac.errors.ConfigError`."""
    ruleset = load_rules(config.rules_dir)
    pipeline = load_pipeline(config.pipeline)
    return compile_detection(ruleset, pipeline, query_language, config, today=today)


def compile_detection(
    ruleset: RuleSet,
    pipeline: ProcessingPipeline,
    query_language: str,
    config: DetectionConfig,
    *,
    today: date | None = None,
) -> CompiledRuleSet:
    """Apply Sigma filters and the unexpired suppressions of ``rules_dir/exceptions``, compile
    the detection rules, then the correlations over them."""
    suppressions = load_suppressions(Path(config.rules_dir) / SUPPRESSIONS_DIR)
    filtered = apply_filters(ruleset, suppressions, today or today_in_hanoi())
    for warning in filtered.warnings:
        log.warning("%s", warning)
    compiled = compile_rules(
        filtered.ruleset, pipeline, query_language, default_interval=config.default_interval
    )
    compiled.errors.extend(filtered.errors)
    compiled.warnings.extend(filtered.warnings)
    return compile_correlations(
        filtered,
        compiled,
        pipeline,
        query_language,
        default_interval=config.default_interval,
        max_lookback=config.max_lookback,
    )


def build_scheduler(
    rules: CompiledRuleSet | Sequence[CompiledRule],
    store: Store,
    detection: DetectionConfig,
    alerting: AlertingConfig,
    *,
    clock: Clock = utcnow,
    reload_every: float | None = RELOAD_EVERY_S,
    assets: Callable[[], AssetIndex] | None = None,
    collecting_since: datetime | None = None,
) -> DetectionScheduler:
    """A scheduler running ``rules`` against ``store``; new alerts are enqueued for the
    channels :func:`alerting.notify.routing.channels_for` picks. When ``rules`` is the
    configured rule set (a :class:`CompiledRuleSet`), the rule files are hot-reloaded every
    ``reload_every`` seconds while the scheduler runs (None: never). A rule whose query the
    store rejects is not scheduled (:func:`alerting.detect.store_probe.probed`), at start and
    at every reload. ``assets`` gives the current asset inventory: each new alert is stored
    with its priority (:mod:`canhgac.assets.priority`); None: alerts have no priority.
    ``collecting_since``: when this process's sources started storing (see
    :mod:`alerting.detect.run.collect_start`)."""

    def route(alert: Alert) -> list[str]:
        return channels_for(alert, alerting)

    def prioritize(alert: Alert) -> Alert:
        assert assets is not None
        return with_priority(assets(), alert)

    leases = RuleLeases(store, detection.lease_ttl.total_seconds())
    engine = DetectionEngine(
        store,
        detection,
        route=route,
        clock=clock,
        leases=leases,
        prioritize=prioritize if assets is not None else None,
    )
    if isinstance(rules, CompiledRuleSet):
        rules = probed(rules, store, clock())
    runnable = rules.rules if isinstance(rules, CompiledRuleSet) else list(rules)
    scheduler = DetectionScheduler(
        engine, runnable, jitter_seconds=detection.jitter_seconds, clock=clock
    )
    scheduler.collecting_since = collecting_since
    if isinstance(rules, CompiledRuleSet) and reload_every is not None:
        reloader = RuleReloader(
            lambda: probed(load_detection(detection, store.query_language), store, clock()),
            lambda: watched_files(Path(detection.rules_dir), detection.pipeline),
            scheduler.replace_rules,
            rules,
            every=reload_every,
        )
        scheduler.attach(reloader)
    return scheduler
