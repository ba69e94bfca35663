"""Judgement: a source key's buckets -> four verdicts (live, complete, correct, clean) and the
problems worth an alert (:class:`Finding`).

A problem is judged against the source itself: silence against its own rhythm
(:mod:`.rhythm`), the understood share against its own baseline ("0 % understood in the last
hour, was 99 %"), and fixed thresholds from ``health:`` for clock skew, dead letters and
sequence gaps. Hours with fewer than ``min_hour_events`` events are not judged for shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerting.health.rhythm import judged, silent_after_s
from alerting.health.rules import (
    CLOCK_SKEW,
    DEAD_LETTERS,
    NOT_UNDERSTOOD,
    SEQUENCE_GAPS,
    SILENT,
    HealthRule,
)
from canhgac.config import HealthConfig
from canhgac.health.model import (
    HealthBucket,
    Quality,
    SourceHealth,
    SourceKey,
    Status,
    Verdict,
)
from canhgac.timeutil import from_iso, to_iso

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Finding:
    """One health problem of one source, to be raised as an alert."""

    rule: HealthRule
    key: SourceKey
    #: what makes repeats the same problem: the hour's suppression bucket, or the moment a
    #: silence began
    episode: str
    first_seen: str
    last_seen: str
    message_vi: str
    message_en: str
    values: dict[str, float | int | str] = field(default_factory=dict)


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f} %"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def silence(
    key: SourceKey,
    history: Sequence[HealthBucket],
    last_seen: str | None,
    now: datetime,
    config: HealthConfig,
) -> tuple[Verdict, float | None, float | None, Finding | None]:
    """(live verdict, silence seconds, silent-after seconds, finding if silent)."""
    limit = silent_after_s(key, history, config)
    quiet = (now - from_iso(last_seen)).total_seconds() if last_seen else None
    if limit is None or quiet is None:
        return Verdict(quality=Quality.live, status=Status.unknown), quiet, limit, None
    if quiet <= limit:
        reason = f"last event {minutes(quiet)} ago"
        return Verdict(quality=Quality.live, status=Status.ok, reason=reason), quiet, limit, None
    assert last_seen is not None
    message_vi = (
        f"{key.label}: không nhận được log nào trong {minutes(quiet)}"
        f" (bình thường tối đa {minutes(limit)})"
    )
    message_en = f"{key.label}: no events for {minutes(quiet)} (normally at most {minutes(limit)})"
    finding = Finding(
        SILENT,
        key,
        episode=last_seen,
        first_seen=last_seen,
        last_seen=to_iso(now),
        message_vi=message_vi,
        message_en=message_en,
        values={"silence_s": round(quiet), "silent_after_s": round(limit)},
    )
    verdict = Verdict(quality=Quality.live, status=Status.failing, reason=message_en)
    return verdict, quiet, limit, finding


def _episode(hour: str, config: HealthConfig) -> str:
    step = config.suppress if config.suppress >= HOUR else HOUR
    epoch = datetime(1970, 1, 1, tzinfo=from_iso(hour).tzinfo)
    return to_iso(epoch + ((from_iso(hour) - epoch) // step) * step)


def _finding(
    rule: HealthRule,
    bucket: HealthBucket,
    config: HealthConfig,
    vi: str,
    en: str,
    values: dict[str, float | int | str],
) -> Finding:
    end = to_iso(from_iso(bucket.hour) + HOUR)
    return Finding(
        rule,
        bucket.key,
        episode=_episode(bucket.hour, config),
        first_seen=bucket.hour,
        last_seen=end,
        message_vi=f"{bucket.key.label}: {vi}",
        message_en=f"{bucket.key.label}: {en}",
        values=values,
    )


def baseline_understood(history: Sequence[HealthBucket], hour: str) -> float | None:
    """The understood share of the hours before ``hour``."""
    before = [b for b in history if b.hour < hour]
    events = sum(b.events for b in before)
    return sum(b.understood for b in before) / events if events else None


def hour_findings(
    bucket: HealthBucket, history: Sequence[HealthBucket], config: HealthConfig
) -> list[Finding]:
    """The problems of one key's hour, judged against the hours before it in ``history``."""
    if not judged(bucket.key, config):
        return []
    found: list[Finding] = []
    skew = bucket.skew_median_s
    if skew is not None and abs(skew) > config.max_clock_skew.total_seconds():
        found.append(
            _finding(
                CLOCK_SKEW,
                bucket,
                config,
                f"lệch giờ {skew:+.0f} giây (trung vị giờ qua, ngưỡng"
                f" {config.max_clock_skew.total_seconds():.0f} giây)",
                f"clock skew {skew:+.0f} s (median of the hour)",
                {"skew_median_s": skew, "skew_worst_s": bucket.skew_worst_s or 0.0},
            )
        )
    ratio, before = bucket.understood_ratio, baseline_understood(history, bucket.hour)
    if (
        ratio is not None
        and before is not None
        and bucket.events >= config.min_hour_events
        and sum(b.events for b in history if b.hour < bucket.hour) >= config.min_events
        and ratio < before - config.understood_drop
    ):
        found.append(
            _finding(
                NOT_UNDERSTOOD,
                bucket,
                config,
                f"{percent(ratio)} dòng log được hiểu trong giờ qua (trước đó {percent(before)})",
                f"{percent(ratio)} of lines understood in the last hour (was {percent(before)})",
                {"understood_ratio": round(ratio, 4), "baseline_ratio": round(before, 4)},
            )
        )
    gaps = bucket.sequence_gap_ratio
    if gaps is not None and gaps > config.max_sequence_gap_ratio:
        found.append(
            _finding(
                SEQUENCE_GAPS,
                bucket,
                config,
                f"thiếu {bucket.sequence_gaps} số thứ tự ({percent(gaps)}) trong giờ qua",
                f"{bucket.sequence_gaps} sequence numbers missing ({percent(gaps)})",
                {"sequence_gaps": bucket.sequence_gaps, "sequenced": bucket.sequenced},
            )
        )
    return found


def source_totals(hour: str, buckets: Sequence[HealthBucket]) -> dict[str, HealthBucket]:
    """Per configured source name, one bucket summing its keys' counts over ``hour``."""
    totals: dict[str, HealthBucket] = {}
    for b in buckets:
        if b.hour != hour:
            continue
        total = totals.setdefault(
            b.key.source, HealthBucket(key=SourceKey(source=b.key.source), hour=hour)
        )
        total.events += b.events
        total.dead_letters += b.dead_letters
        for reason, count in b.dead_letter_reasons.items():
            total.dead_letter_reasons[reason] = total.dead_letter_reasons.get(reason, 0) + count
    return totals


def dead_letter_findings(
    hour: str, buckets: Sequence[HealthBucket], config: HealthConfig
) -> list[Finding]:
    """Dead letters are judged per configured source (they carry no host or dataset)."""
    found: list[Finding] = []
    for total in source_totals(hour, buckets).values():
        ratio = total.dead_letter_ratio
        if ratio is None or ratio <= config.max_dead_letter_ratio or not judged(total.key, config):
            continue
        if total.events + total.dead_letters < config.min_hour_events:
            continue
        top = max(total.dead_letter_reasons.items(), key=lambda item: (item[1], item[0]))
        found.append(
            _finding(
                DEAD_LETTERS,
                total,
                config,
                f"{percent(ratio)} bản ghi bị loại (dead letter) trong giờ qua;"
                f" lý do chính: {top[0]} ({top[1]})",
                f"{percent(ratio)} of records were dead letters in the last hour;"
                f" top reason: {top[0]} ({top[1]})",
                {"dead_letters": total.dead_letters, "dead_letter_ratio": round(ratio, 4)},
            )
        )
    return found


def verdicts(
    live: Verdict,
    latest: HealthBucket | None,
    history: Sequence[HealthBucket],
    config: HealthConfig,
) -> dict[Quality, Verdict]:
    """The four verdicts of a key from its latest complete hour (and liveness)."""
    if latest is None or (latest.events + latest.dead_letters) == 0:
        unknown = {
            q: Verdict(quality=q, status=Status.unknown, reason="no data in the last hour")
            for q in (Quality.complete, Quality.correct, Quality.clean)
        }
        return {Quality.live: live, **unknown}
    problems = {f.rule.quality: f.message_en for f in hour_findings(latest, history, config)}
    result = {Quality.live: live}
    for quality in (Quality.complete, Quality.correct, Quality.clean):
        reason = problems.get(quality)
        status = Status.failing if reason else Status.ok
        result[quality] = Verdict(quality=quality, status=status, reason=reason or "")
    ratio = latest.dead_letter_ratio or 0.0
    if ratio > config.max_dead_letter_ratio:
        result[Quality.clean] = Verdict(
            quality=Quality.clean,
            status=Status.failing,
            reason=f"{percent(ratio)} dead letters in the last hour",
        )
    elif (latest.raw_ratio or 0.0) > config.max_raw_ratio:
        result[Quality.clean] = Verdict(
            quality=Quality.clean,
            status=Status.degraded,
            reason=f"{percent(latest.raw_ratio or 0.0)} of events not parsed (raw)",
        )
    return result


def assess(
    key: SourceKey,
    history: Sequence[HealthBucket],
    last_seen: str | None,
    now: datetime,
    config: HealthConfig,
) -> tuple[SourceHealth, Finding | None]:
    """``key``'s health at ``now`` from its complete hours (``history``, oldest first) and its
    last event; with the silence finding if it is silent."""
    live, quiet, limit, finding = silence(key, history, last_seen, now, config)
    if not judged(key, config):
        live, finding = Verdict(quality=Quality.live, status=Status.unknown, reason="off"), None
    latest = history[-1] if history else None
    health = SourceHealth(
        key=key,
        last_seen=last_seen,
        silence_s=None if quiet is None else round(quiet, 3),
        silent_after_s=limit,
        verdicts=verdicts(live, latest, history[:-1], config) if judged(key, config) else {},
    )
    return health, finding
