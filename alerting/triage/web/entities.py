"""Entity pages (``/entities/ip|host|user?value=...``): first and last seen, events over
time, related entities and alerts of one IP address, host or user, every value a pivot.

The value travels as a query parameter, not a path segment: a host named ``a/../b`` or a
user with ``?`` in the name is still just a value.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from alerting.triage.asset_view import entity_asset_row
from alerting.triage.auth.principal import READERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.entity import ENTITY_KINDS, entity_view
from alerting.triage.errors import NotFoundError
from alerting.triage.hunt_chart import histogram
from alerting.triage.pivot import entity_url
from alerting.triage.web.search import _form_time, _range, search_url
from alerting.triage.web.sources import moment_label

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(READERS)]
LocalTime = Annotated[str, Query(max_length=32)]


@router.get("/entities/{kind}")
def entity_page(
    request: Request,
    kind: str,
    _: Reader,
    value: Annotated[str, Query(min_length=1, max_length=1000)],
    start: Annotated[LocalTime, Query(alias="from")] = "",
    end: Annotated[LocalTime, Query(alias="to")] = "",
) -> Response:
    entity = ENTITY_KINDS.get(kind)
    if entity is None:
        raise NotFoundError(f"no entity kind {kind!r}")
    ctx = triage_context(request)
    now = ctx.clock()
    since, until = _range(start or _form_time(now - timedelta(days=7)), end, now)
    view = entity_view(ctx.store, entity, value, since, until)
    form = {"from": _form_time(since), "to": _form_time(until)}
    context: dict[str, Any] = {
        "view": view,
        "chart": histogram(view.histogram, since, until, view.bucket_seconds),
        "short_time": moment_label,
        "pivot": entity_url,
        "asset_row": entity_asset_row(ctx.assets(), kind, value),
        "search_link": search_url("/search", q=view.query, **form),
        "link": lambda **changes: search_url(
            f"/entities/{kind}", **({"value": value} | form | changes)
        ),
    }
    return ctx.pages.render(request, "entity.html", context)
