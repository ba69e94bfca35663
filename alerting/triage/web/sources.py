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
from alerting.triage.i18n import request_language
from alerting.triage.sources import QUALITIES
from alerting.triage.sparkline import sparkline
from alerting.triage.web.overview import duration
from canhgac.timeutil import DISPLAY_ZONE, from_iso

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(EVERYONE)]


#: Duration units as :func:`duration` writes them, in the languages that name them otherwise.
UNITS: dict[str, dict[str, str]] = {"vi": {"s": "giây", "min": "phút", "h": "giờ", "d": "ngày"}}


def local_duration(seconds: float | None, lang: str) -> str:
    """:func:`duration` with its unit in ``lang``: ``63 phút``."""
    text = duration(seconds)
    number, _, unit = text.rpartition(" ")
    return f"{number} {UNITS[lang].get(unit, unit)}" if number and lang in UNITS else text


def percent(ratio: float | None) -> str:
    """A share as a percentage: whole numbers, one decimal near 0 and 100 % (where 0.4 %
    of dead letters must not read as none)."""
    if ratio is None:
        return "—"
    value = ratio * 100
    if value in (0.0, 100.0) or 10 <= value <= 90:
        return f"{value:.0f} %"
    return f"{value:.1f} %"


def signed_duration(seconds: float | None, lang: str) -> str:
    """A clock skew with its sign: +2 s, -10 min (late arrival is positive)."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else "+"
    return sign + local_duration(abs(seconds), lang)


def hour_label(stamp: str, *, with_day: bool = False) -> str:
    """The start of a stored hour in Hanoi time: ``10:00`` (``2026-03-10 10:00``)."""
    moment = from_iso(stamp).astimezone(DISPLAY_ZONE)
    return moment.strftime("%Y-%m-%d %H:%M" if with_day else "%H:%M")


def moment_label(stamp: str) -> str:
    """A stored time in Hanoi time to the second, without the zone the footer names."""
    try:
        return from_iso(stamp).astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def formats(request: Request) -> dict[str, Any]:
    """The helpers the data-health templates format numbers with, in the request's language."""
    lang = request_language(request.scope)
    return {
        "duration": lambda seconds: local_duration(seconds, lang),
        "signed_duration": lambda seconds: signed_duration(seconds, lang),
        "percent": percent,
        "hour_label": hour_label,
        "moment_label": moment_label,
        "qualities": QUALITIES,
    }


@router.get("/sources")
def sources_page(request: Request, _: Anyone) -> Response:
    ctx = triage_context(request)
    board = ctx.sources.board()
    context = {"board": board} | formats(request)
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
    } | formats(request)
    return ctx.pages.render(request, "source.html", context)
