"""Pivot links: every IP address, host and user name the UI shows links to its entity page.

Templates call the ``pivot(field, value)`` macro of ``_macros.html``, which reads
:data:`PIVOT_FIELDS` and :func:`entity_url` (both Jinja globals, see
:mod:`alerting.triage.render`). The value only ever reaches the page escaped and the URL
URL-encoded in the query string of a fixed path, so no log content can become markup or a
``javascript:`` link.
"""

from __future__ import annotations

from urllib.parse import urlencode

from alerting.triage.entity import ENTITY_KINDS, PIVOT_FIELDS

__all__ = ["PIVOT_FIELDS", "entity_url"]


def entity_url(kind: str, value: str) -> str:
    """The entity page of ``value`` (``/entities/ip?value=...``)."""
    if kind not in ENTITY_KINDS:
        raise ValueError(f"no entity kind {kind!r}")
    return f"/entities/{kind}?{urlencode({'value': value})}"
