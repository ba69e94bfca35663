"""The event search page (hunting) and its downloads: CSV, NDJSON, a Sigma rule draft.

Readers only (analysts and rule authors, and admins): events hold what the logs hold. The
form is a plain GET, so a search is a link an analyst can share; filtering in or out on a
top value and narrowing to a histogram bar are links too (no script needed). Every value
from the logs reaches the page through the templates' ``literal`` filter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from alerting.hunt.sigma_draft import sigma_draft
from alerting.hunt.syntax import QuerySyntaxError
from alerting.triage.auth.principal import READERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.entity import PIVOT_FIELDS, quoted
from alerting.triage.errors import InvalidInputError
from alerting.triage.hunt_chart import histogram
from alerting.triage.hunt_export import csv_lines, ndjson_lines
from alerting.triage.hunt_service import (
    BadCursor,
    HuntService,
    columns,
    field_text,
    time_range,
)
from alerting.triage.pivot import entity_url
from alerting.triage.web.sources import moment_label
from canhgac.timeutil import DISPLAY_ZONE

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(READERS)]
QueryText = Annotated[str, Query(max_length=4000)]
LocalTime = Annotated[str, Query(max_length=32)]

DEFAULT_COLUMNS = (
    "@timestamp",
    "event.dataset",
    "host.name",
    "user.name",
    "source.ip",
    "event.original",
)
PAGE_SIZE = 50
#: Fields whose values link to their entity's page.
PIVOTS = PIVOT_FIELDS


def _range(start: str, end: str, now: datetime) -> tuple[datetime, datetime]:
    try:
        return time_range(start, end, now)
    except QuerySyntaxError as exc:
        raise InvalidInputError(exc.reason) from None


def _form_time(moment: datetime) -> str:
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%dT%H:%M")


def refined(text: str, field: str, value: str, *, exclude: bool) -> str:
    """``text`` narrowed to events with (``exclude``: without) ``field`` = ``value``."""
    term = f"{'NOT ' if exclude else ''}{field}:{quoted(value)}"
    return f"({text}) AND {term}" if text.strip() else term


def search_url(path: str, **params: str) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v})}"


@router.get("/search")
def search_page(
    request: Request,
    _: Reader,
    q: QueryText = "",
    start: Annotated[LocalTime, Query(alias="from")] = "",
    end: Annotated[LocalTime, Query(alias="to")] = "",
    cols: Annotated[str, Query(max_length=600)] = "",
    after: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    ctx = triage_context(request)
    since, until = _range(start, end, ctx.clock())
    chosen = columns(cols, DEFAULT_COLUMNS)
    form = {"q": q, "from": _form_time(since), "to": _form_time(until), "cols": ",".join(chosen)}
    context: dict[str, Any] = {
        "form": form,
        "columns": chosen,
        "result": None,
        "error": None,
        "chart": None,
        "pivots": PIVOTS,
        "field_text": field_text,
        "short_time": moment_label,
        "refine": lambda field, value, exclude: search_url(
            "/search", **(form | {"q": refined(q, field, value, exclude=exclude)})
        ),
        "pivot": lambda field, value: entity_url(PIVOTS[field], value),
        "request_after": bool(after),
        "link": lambda **changes: search_url("/search", **(form | changes)),
        "download": lambda path: search_url(path, **form),
    }
    try:
        result = HuntService(ctx.store).search(q, since, until, after or None, PAGE_SIZE)
    except QuerySyntaxError as exc:
        context["error"] = exc
        return ctx.pages.render(request, "search.html", context, status=400)
    except BadCursor:
        raise InvalidInputError("the page cursor is not one this search wrote") from None
    context["result"] = result
    context["chart"] = histogram(result.histogram, since, until, result.bucket_seconds)
    return ctx.pages.render(request, "search.html", context)


def _hits(request: Request, q: str, start: str, end: str) -> tuple[HuntService, datetime, datetime]:
    ctx = triage_context(request)
    since, until = _range(start, end, ctx.clock())
    service = HuntService(ctx.store)
    try:
        service.request(q, since, until)  # refuse a bad query before the download starts
    except QuerySyntaxError as exc:
        raise InvalidInputError(str(exc)) from None
    return service, since, until


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/search/export.csv")
def export_csv(
    request: Request,
    _: Reader,
    q: QueryText = "",
    start: Annotated[LocalTime, Query(alias="from")] = "",
    end: Annotated[LocalTime, Query(alias="to")] = "",
    cols: Annotated[str, Query(max_length=600)] = "",
) -> Response:
    service, since, until = _hits(request, q, start, end)
    events = service.every_event(q, since, until)
    return StreamingResponse(
        csv_lines(events, columns(cols, DEFAULT_COLUMNS)),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("canhgac-search.csv"),
    )


@router.get("/search/export.ndjson")
def export_ndjson(
    request: Request,
    _: Reader,
    q: QueryText = "",
    start: Annotated[LocalTime, Query(alias="from")] = "",
    end: Annotated[LocalTime, Query(alias="to")] = "",
) -> Response:
    service, since, until = _hits(request, q, start, end)
    return StreamingResponse(
        ndjson_lines(service.every_event(q, since, until)),
        media_type="application/x-ndjson",
        headers=_attachment("canhgac-search.ndjson"),
    )


@router.get("/search/sigma.yml")
def sigma_rule_draft(
    request: Request,
    principal: Reader,
    q: QueryText = "",
    start: Annotated[LocalTime, Query(alias="from")] = "",
    end: Annotated[LocalTime, Query(alias="to")] = "",
) -> Response:
    service, since, until = _hits(request, q, start, end)
    tree, _ = service.request(q, since, until)
    today = triage_context(request).clock().astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d")
    return Response(
        sigma_draft(q, tree, principal.username, today),
        media_type="application/yaml; charset=utf-8",
        headers=_attachment("canhgac-draft-rule.yml"),
    )
