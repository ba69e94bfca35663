"""``/api/v1/events/search``: the event search of the search page, for integrations.

Times are ISO 8601 with a zone (``2026-11-27T08:00:00+07:00``); a naive time is Hanoi time,
as on the page. Paging is by cursor: pass ``next_cursor`` back as ``cursor``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from alerting.hunt.syntax import QuerySyntaxError
from alerting.triage.auth.principal import READERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.errors import API_ERROR_RESPONSES, InvalidInputError
from alerting.triage.hunt_service import BadCursor, HuntService, time_range

router = APIRouter(prefix="/api/v1/events", tags=["events"], responses=API_ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(READERS)]


class HistogramBucket(BaseModel):
    start: str
    count: int


class TopValue(BaseModel):
    value: str
    count: int


class EventSearchResult(BaseModel):
    total: int
    events: list[dict[str, Any]]
    next_cursor: str | None
    bucket_seconds: int
    histogram: list[HistogramBucket]
    top: dict[str, list[TopValue]]
    top_sample: int


@router.get("/search", summary="Search the stored events", response_model=EventSearchResult)
def search_events(
    request: Request,
    _: Reader,
    q: Annotated[str, Query(max_length=4000, description="the search query")] = "",
    start: Annotated[str, Query(max_length=40, description="from (ISO 8601)")] = "",
    end: Annotated[str, Query(max_length=40, description="to, excluded (ISO 8601)")] = "",
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventSearchResult:
    ctx = triage_context(request)
    try:
        since, until = time_range(start, end, ctx.clock())
        result = HuntService(ctx.store).search(q, since, until, cursor, limit)
    except QuerySyntaxError as exc:
        raise InvalidInputError(str(exc), code="invalid_query") from None
    except BadCursor as exc:
        raise InvalidInputError(str(exc)) from None
    return EventSearchResult(
        total=result.total,
        events=[{"id": event.id, **event.fields} for event in result.events],
        next_cursor=result.next_cursor,
        bucket_seconds=result.bucket_seconds,
        histogram=[HistogramBucket(start=s, count=c) for s, c in result.histogram],
        top={t.field: [TopValue(value=v, count=c) for v, c in t.values] for t in result.top},
        top_sample=result.top_sample,
    )
