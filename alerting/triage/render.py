"""Rendering pages: one Jinja2 environment, autoescape on for every template.

Log content reaches the pages through :func:`literal`, which escapes it and also makes
invisible characters visible: Unicode direction overrides (U+202E ...) could otherwise make
``exe.txt`` read as ``txt.exe``, and other control characters could hide text. Each is shown
as a marked ``U+XXXX`` code instead.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alerting.triage.i18n import LANG_PARAM, Translator, request_language
from alerting.triage.pivot import PIVOT_FIELDS, entity_url
from canhgac.assets.priority import band
from canhgac.timeutil import DISPLAY_ZONE, for_display, from_iso

# Bidi controls (embeddings, overrides, isolates, marks), other format characters that hide
# text (zero-width, BOM), and C0/C1 controls except tab and newline.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def _reveal(match: re.Match[str]) -> str:
    char = match.group(0)
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "CONTROL")
    return f'<span class="ctl" title="{escape(name)}">{code}</span>'


def literal(value: Any) -> Markup:
    """Escaped text with invisible and direction-changing characters shown as codes."""
    text = str(escape("" if value is None else value))
    return Markup(_INVISIBLE.sub(_reveal, text))


def plain(value: Any) -> str:
    """Text with invisible and direction-changing characters as ``U+XXXX``, for places that
    hold text only (the page's ``<title>``); autoescape still escapes it."""
    return _INVISIBLE.sub(lambda match: f"U+{ord(match.group(0)):04X}", str(value))


def local_time(value: Any) -> Markup:
    """A stored UTC time shown in Hanoi time with its zone; unreadable text shown as is."""
    if not value:
        return Markup("")
    try:
        shown = for_display(str(value))
    except ValueError:
        return literal(value)
    return Markup('<time datetime="{}">{}</time>').format(str(value), shown)


def _local(value: Any) -> datetime | None:
    try:
        return from_iso(str(value)).astimezone(DISPLAY_ZONE)
    except ValueError:
        return None


def plain_time(value: Any) -> str:
    """A stored UTC time as short Hanoi text (``2026-12-03 22:54``), for SVG labels."""
    moment = _local(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else plain(value)


def clock_time(value: Any) -> Markup:
    """A stored UTC time as the queue shows it: ``22:54:17`` Hanoi time, the full time in
    the element (and its tooltip)."""
    moment = _local(value)
    if moment is None:
        return literal(value)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        str(value), for_display(str(value)), moment.strftime("%H:%M:%S")
    )


def local_day(value: Any) -> str:
    """The Hanoi date of a stored UTC time (``2026-12-03``): the queue's group headings."""
    moment = _local(value)
    return moment.strftime("%Y-%m-%d") if moment else ""


def path_segment(value: Any) -> str:
    """Text as one URL path segment: every reserved character encoded, "/" included."""
    return quote(str(value), safe="")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerting.triage", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["literal"] = literal
    env.filters["plain"] = plain
    env.filters["local_time"] = local_time
    env.filters["plain_time"] = plain_time
    env.filters["path_segment"] = path_segment
    env.filters["clock_time"] = clock_time
    env.filters["local_day"] = local_day
    env.filters["urlencode_params"] = urlencode
    env.filters["priority_band"] = band
    # The pivot(field, value) macro of _macros.html: IP/host/user values link to entity pages.
    env.globals["pivot_fields"] = PIVOT_FIELDS
    env.globals["entity_url"] = entity_url
    return env


class Pages:
    def __init__(self) -> None:
        self.env = _environment()

    def render(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        t = Translator(request_language(request.scope))
        principal = getattr(request.state, "principal", None)

        def lang_url(lang: str) -> str:
            params = dict(request.query_params)
            params[LANG_PARAM] = lang
            return f"{request.url.path}?{urlencode(params)}"

        page = self.env.get_template(template).render(
            t=t,
            lang=t.lang,
            principal=principal,
            csrf_token=principal.csrf_token if principal else "",
            lang_url=lang_url,
            **context,
        )
        return HTMLResponse(page, status_code=status)
