"""Data health per log source: models (:mod:`.model`), what is measured (:mod:`.fields`) and
its configuration (:mod:`.config`). The store computes the numbers
(:mod:`canhgac.store.health`); :mod:`alerting.health` judges them and raises alerts."""

from canhgac.health.model import (
    DeadLetterSample,
    EventSample,
    HealthBucket,
    Quality,
    SourceDetail,
    SourceHealth,
    SourceKey,
    Status,
    Verdict,
)

__all__ = [
    "DeadLetterSample",
    "EventSample",
    "HealthBucket",
    "Quality",
    "SourceDetail",
    "SourceHealth",
    "SourceKey",
    "Status",
    "Verdict",
]
