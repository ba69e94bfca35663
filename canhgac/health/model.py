"""Data health of each log source: is what we store correct, complete, clean and live?

Vietnamese ops speak of four qualities: **đúng** (correct: times right, lines understood),
**đủ** (complete: nothing dropped, no sequence gaps), **sạch** (clean: few dead letters and
raw lines) and **sống** (live: the source still sends at its usual rhythm). A SOC that is
silently blind on its commonest input must say so; these models carry the numbers and the
verdicts from the store (:mod:`canhgac.store.health`) to alerts, metrics and the web UI.

Numbers are kept per source key and per hour of arrival (``event.ingested``), as
:class:`HealthBucket` rows; judgement (:mod:`alerting.health.judge`) turns a source's recent
buckets into :class:`Verdict` s.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SourceKey(BaseModel):
    """One stream of events: configured source, sending host, dataset.

    ``host`` is ``host.name``, else the sender's address; empty when neither is known.
    Dead letters carry no dataset: they are counted under the key of their source and sender
    with ``dataset`` empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = ""
    host: str = ""
    dataset: str = ""

    @property
    def label(self) -> str:
        """``syslog-tcp / ecab-db01 / system.auth`` (``?`` for an unknown part)."""
        return " / ".join(part or "?" for part in (self.source, self.host, self.dataset))


class HealthBucket(BaseModel):
    """One source key's numbers over one hour of arrival (``[hour, hour + 1h)``).

    Times are canonical UTC strings (:mod:`canhgac.timeutil`). Clock skew is ``event.ingested``
    minus ``@timestamp`` in seconds: positive when events arrive late (or the sender's clock is
    behind), negative when they are stamped in the future.
    """

    model_config = ConfigDict(extra="forbid")

    key: SourceKey
    hour: str
    events: int = 0
    #: events whose parser extracted the dataset's key fields (canhgac.health.fields)
    understood: int = 0
    #: events no parser recognised (``event.module`` raw)
    raw: int = 0
    #: events stamped more than FUTURE_TOLERANCE_S after they were stored
    future: int = 0
    first_ingested: str | None = None
    last_ingested: str | None = None
    skew_median_s: float | None = None
    #: the skew farthest from zero, with its sign
    skew_worst_s: float | None = None
    #: events carrying a sequence number, distinct numbers among them, and numbers missing
    #: between the hour's smallest and largest
    sequenced: int = 0
    sequence_gaps: int = 0
    dead_letters: int = 0
    #: reason class (canhgac.health.fields.reason_class) -> dead letters
    dead_letter_reasons: dict[str, int] = Field(default_factory=dict)
    computed_at: str = ""

    @property
    def events_per_minute(self) -> float:
        return self.events / 60.0

    @property
    def understood_ratio(self) -> float | None:
        return self.understood / self.events if self.events else None

    @property
    def raw_ratio(self) -> float | None:
        return self.raw / self.events if self.events else None

    @property
    def dead_letter_ratio(self) -> float | None:
        total = self.events + self.dead_letters
        return self.dead_letters / total if total else None

    @property
    def sequence_gap_ratio(self) -> float | None:
        total = self.sequenced + self.sequence_gaps
        return self.sequence_gaps / total if total else None


class Quality(StrEnum):
    """The four qualities of a source's data."""

    live = "live"  # sống
    complete = "complete"  # đủ
    correct = "correct"  # đúng
    clean = "clean"  # sạch


class Status(StrEnum):
    ok = "ok"
    degraded = "degraded"
    failing = "failing"
    unknown = "unknown"  # not enough history to judge


class Verdict(BaseModel):
    """One quality of one source: its status and why, in words an operator reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: Quality
    status: Status
    reason: str = ""


class SourceHealth(BaseModel):
    """A source key as the sources list shows it: four verdicts and the recent hours."""

    model_config = ConfigDict(extra="forbid")

    key: SourceKey
    last_seen: str | None = None
    #: seconds since the last event, at the time of judgement
    silence_s: float | None = None
    #: how long a silence is normal for this source (its own rhythm, floor, or override)
    silent_after_s: float | None = None
    verdicts: dict[Quality, Verdict] = Field(default_factory=dict)
    #: the last hours, oldest first, one bucket per hour (empty hours have zero events)
    hourly: list[HealthBucket] = Field(default_factory=list)

    @property
    def status(self) -> Status:
        """The worst verdict."""
        order = [Status.failing, Status.degraded, Status.ok, Status.unknown]
        found = {verdict.status for verdict in self.verdicts.values()}
        return next((status for status in order if status in found), Status.unknown)


class DeadLetterSample(BaseModel):
    """Dead letters of one reason class, with a few of their raw lines (text, escaped by
    whoever shows it: log content is attacker-controlled)."""

    model_config = ConfigDict(extra="forbid")

    reason_class: str
    count: int
    samples: list[str] = Field(default_factory=list)


class EventSample(BaseModel):
    """A stored event, as a sample of what the parser did not understand."""

    model_config = ConfigDict(extra="forbid")

    id: str
    timestamp: str
    ingested: str
    original: str


class SourceDetail(BaseModel):
    """One source key in depth, for its page."""

    model_config = ConfigDict(extra="forbid")

    health: SourceHealth
    dead_letters: list[DeadLetterSample] = Field(default_factory=list)
    not_understood: list[EventSample] = Field(default_factory=list)
