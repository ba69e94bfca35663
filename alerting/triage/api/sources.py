"""``/api/v1/sources``: data health per source key (what the data sources pages show)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from alerting.triage.api.schemas import (
    HealthAlertRef,
    SourceDetailOut,
    SourceHour,
    SourceList,
    SourceOut,
)
from alerting.triage.auth.principal import EVERYONE, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import API_ERROR_RESPONSES
from alerting.triage.sources import ID_PATTERN, MAX_ID_CHARS, SourceRow
from canhgac.health.model import HealthBucket
from canhgac.models import Alert

router = APIRouter(prefix="/api/v1/sources", tags=["sources"], responses=API_ERROR_RESPONSES)

Anyone = Annotated[Principal, Depends(EVERYONE)]
SourceId = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=ID_PATTERN)]


def _ctx(request: Request) -> TriageContext:
    return triage_context(request)


Context = Annotated[TriageContext, Depends(_ctx)]


def hour_out(hour: HealthBucket) -> SourceHour:
    return SourceHour(
        hour=hour.hour,
        events=hour.events,
        understood=hour.understood,
        raw=hour.raw,
        future=hour.future,
        dead_letters=hour.dead_letters,
        sequenced=hour.sequenced,
        sequence_gaps=hour.sequence_gaps,
        skew_median_s=hour.skew_median_s,
        skew_worst_s=hour.skew_worst_s,
        understood_ratio=hour.understood_ratio,
        raw_ratio=hour.raw_ratio,
        dead_letter_ratio=hour.dead_letter_ratio,
    )


def source_out(row: SourceRow) -> SourceOut:
    health, last, judged = row.health, row.last_hour, row.judged_hour
    return SourceOut(
        id=row.id,
        source=row.key.source,
        host=row.key.host,
        dataset=row.key.dataset,
        label=row.key.label,
        status=row.status,
        last_seen=health.last_seen,
        silence_s=health.silence_s,
        silent_after_s=health.silent_after_s,
        events_per_minute=last.events_per_minute if last else 0.0,
        judged_hour=judged.hour if judged else None,
        verdicts=health.verdicts,
        hourly=[hour_out(hour) for hour in health.hourly],
    )


def alert_ref(alert: Alert) -> HealthAlertRef:
    return HealthAlertRef(
        id=alert.id,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title,
        severity=alert.severity,
        status=alert.status,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        scope={name: str(value) for name, value in alert.group_key.items()},
    )


@router.get("", summary="Every source key's data health, worst first")
def list_sources(ctx: Context, _: Anyone) -> SourceList:
    board = ctx.sources.board()
    return SourceList(
        generated_at=board.generated_at,
        counts=board.counts,
        items=[source_out(row) for row in board.rows],
    )


@router.get("/{source_id}", summary="One source key: hours, dead letters, lines not understood")
def get_source(ctx: Context, _: Anyone, source_id: SourceId) -> SourceDetailOut:
    page = ctx.sources.page(source_id)
    return SourceDetailOut(
        generated_at=page.generated_at,
        source=source_out(page.row),
        dead_letters=page.detail.dead_letters,
        not_understood=page.detail.not_understood,
        alerts=[alert_ref(alert) for alert in page.alerts],
    )
