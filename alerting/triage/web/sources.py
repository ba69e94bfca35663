"""The data sources pages: every source key's four qualities with a 24-hour sparkline, and one
key in depth (hourly series, dead-letter reasons with raw lines, lines not understood, alerts).

Admitted to every role: operations fix the senders and parsers these pages point at, analysts
need to know which sources they are blind on. Log content on them (keys, raw lines, events)
is escaped by the templates' ``literal`` filter like everywhere else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from alerting.triage.auth.principal import EVERYONE, READERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.sources import QUALITIES
from alerting.triage.sparkline import sparkline
from alerting.triage.web.overview import duration
from canhgac.timeutil import DISPLAY_ZONE, from_iso

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(EVERYONE)]


def percent(ratio: float | None) -> str:
    """A share as a percentage: whole numbers, one decimal near 0 and 100 % (where 0.4 %
    of dead letters must not read as none)."""
    if ratio is None:
        return "—"
    value = ratio * 100
    if value in (0.0, 100.0) or 10 <= value <= 90:
        return f"{value:.0f} %"
    return f"{value:.1f} %"


def signed_duration(seconds: float | None) -> str:
    """A clock skew with its sign: +2 s, -10 min (late arrival is positive)."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else "+"
    return sign + duration(abs(seconds))


def hour_label(stamp: str, *, with_day: bool = False) -> str:
    """The start of a stored hour in Hanoi time: ``10:00`` (``2026-03-10 10:00``)."""
    moment = from_iso(stamp).astimezone(DISPLAY_ZONE)
    return moment.strftime("%Y-%m-%d %H:%M" if with_day else "%H:%M")


def formats() -> dict[str, Any]:
    """The helpers the data-health templates format numbers with."""
    return {
        "duration": duration,
        "percent": percent,
        "signed_duration": signed_duration,
        "hour_label": hour_label,
        "qualities": QUALITIES,
    }


@router.get("/sources")
def sources_page(request: Request, _: Anyone) -> Response:
    ctx = triage_context(request)
    board = ctx.sources.board()
    context = {"board": board} | formats()
    return ctx.pages.render(request, "sources.html", context)


@router.get("/sources/{source_id}")
def source_page(request: Request, source_id: str, principal: Anyone) -> Response:
    ctx = triage_context(request)
    page = ctx.sources.page(source_id)
    context = {
        "page": page,
        "row": page.row,
        "chart": sparkline(page.row.health.hourly, width=960, height=120, gap=4.0),
        "can_open_alerts": principal.role in READERS.roles,
    } | formats()
    return ctx.pages.render(request, "source.html", context)
