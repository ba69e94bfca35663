"""Data-health settings (``health:``): when a source counts as silent, late, unclean."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from canhgac.config_base import Duration, Section


class HealthSourceConfig(Section):
    """Overrides for one source, by source name or key label (``syslog-tcp / ecab-db01 /
    system.auth``); the label wins over the name."""

    silent_after: Duration | None = Field(
        default=None, description="Silent when nothing arrived for this long (no rhythm)."
    )
    enabled: bool = Field(default=True, description="False: never judge or alert.")


class HealthConfig(Section):
    """Data health per source (canhgac.health): numbers per hour, verdicts and alerts."""

    enabled: bool = Field(
        default=True, description="Compute health in the detect role and raise health alerts."
    )
    interval: Duration = Field(
        default=timedelta(minutes=1), description="How often liveness is checked."
    )
    settle: Duration = Field(
        default=timedelta(minutes=2),
        description="An hour's numbers are computed this long after it ends (late writes).",
    )
    retention: Duration = Field(
        default=timedelta(days=30), description="Hourly numbers are kept this long (>= 30d)."
    )
    backfill: Duration = Field(
        default=timedelta(hours=24), description="Hours computed on the very first start."
    )
    baseline: Duration = Field(
        default=timedelta(days=7),
        description="History a source is compared with (its rhythm, its usual shares).",
    )
    silence_floor: Duration = Field(
        default=timedelta(minutes=15), description="No source is silent before this."
    )
    silence_factor: float = Field(
        default=3.0, description="Silent after this many times its usual longest gap."
    )
    min_events: int = Field(
        default=20, description="Baseline events needed before a rhythm is judged."
    )
    min_hour_events: int = Field(
        default=20, description="Hours with fewer events are not judged for shares."
    )
    max_clock_skew: Duration = Field(
        default=timedelta(minutes=5), description="|median skew| above this is wrong time."
    )
    understood_drop: float = Field(
        default=0.25,
        description="Alert when the understood share falls this much below its baseline.",
    )
    max_dead_letter_ratio: float = Field(default=0.05, description="Dead letters / records.")
    max_raw_ratio: float = Field(default=0.5, description="Unparsed (raw) events / events.")
    max_sequence_gap_ratio: float = Field(
        default=0.01, description="Missing sequence numbers / numbered records."
    )
    suppress: Duration = Field(
        default=timedelta(hours=6),
        description="Repeats of one health problem within this window add to one alert.",
    )
    detection_stall: Duration = Field(
        default=timedelta(minutes=5),
        description="Alert when a rule's coverage trails the clock by more than its interval "
        "plus this (a detector that stopped searching).",
    )
    sources: dict[str, HealthSourceConfig] = Field(default_factory=dict)
