"""A digest: a channel's low-severity alerts of one period, said in one message.

:class:`Digest` is what the outbox collected (see :mod:`alerting.notify.digest_outbox`);
:func:`digest_context` is what a digest template sees as ``digest``: counts by severity and by
rule (each with a link to the queue filtered to it), the entities seen most (host, user,
source IP), the most severe alerts one by one with their links, and the queue of the whole
period. Values are plain text, bounded and control-free; templates escape them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerting.notify.message import AlertLinks, alert_message
from alerting.notify.render import display_time, shorten, strip_controls
from canhgac.models import Alert, Severity
from canhgac.timeutil import for_display, from_iso, to_iso

_RANK = {severity: rank for rank, severity in enumerate(Severity)}
#: The title of a digest message where a channel has one beside the text.
DIGEST_TITLE = {"vi": "Canh Gác — tổng hợp cảnh báo", "en": "Canh Gác — alert digest"}
#: Rules and entities listed by count; the rest are left to the queue link.
TOP_RULES = 10
TOP_ENTITIES = 5


@dataclass(frozen=True, slots=True)
class Digest:
    """The alerts of ``channel`` enqueued before ``period_end`` that waited for a digest."""

    id: str
    channel: str
    period_end: datetime
    every: timedelta
    alerts: tuple[Alert, ...]


def _plain(text: str, limit: int = 200) -> str:
    return shorten(strip_controls(text).strip(), limit)


def _most_severe_first(alert: Alert) -> tuple[int, str]:
    return (-_RANK[alert.severity], alert.first_seen)


def _queue_window(alerts: tuple[Alert, ...]) -> dict[str, str]:
    """``since``/``until`` of the queue page (``since <= last_seen < until``) spanning them."""
    seen = sorted(alert.last_seen for alert in alerts)
    try:
        until = to_iso(from_iso(seen[-1]) + timedelta(seconds=1))
    except ValueError:
        return {}
    return {"since": seen[0], "until": until}


def _by_rule(digest: Digest, links: AlertLinks, window: dict[str, str]) -> list[dict[str, Any]]:
    counts = Counter(alert.rule_id for alert in digest.alerts)
    example = {alert.rule_id: alert for alert in sorted(digest.alerts, key=_most_severe_first)}
    return [
        {
            "rule_id": _plain(rule_id),
            "title": _plain(example[rule_id].rule_title),
            "severity": str(example[rule_id].severity),
            "count": count,
            "link": links.queue(rule_id=rule_id, **window),
        }
        for rule_id, count in counts.most_common(TOP_RULES)
    ]


def _entities(digest: Digest) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for alert in digest.alerts:
        counts.update(alert_message(alert, AlertLinks()).context.items())
    return [
        {"field": field, "value": value, "count": count}
        for (field, value), count in counts.most_common(TOP_ENTITIES)
    ]


def digest_context(
    digest: Digest, links: AlertLinks, language: str, max_alerts: int
) -> dict[str, Any]:
    """What a digest template sees as ``digest``."""
    ordered = sorted(digest.alerts, key=_most_severe_first)
    severities = Counter(alert.severity for alert in digest.alerts)
    window = _queue_window(digest.alerts) if digest.alerts else {}
    return {
        "id": digest.id,
        "channel": digest.channel,
        "count": len(digest.alerts),
        "period_start": for_display(to_iso(digest.period_end - digest.every)),
        "period_end": for_display(to_iso(digest.period_end)),
        "by_severity": [
            {"severity": str(severity), "count": severities[severity]}
            for severity in sorted(severities, key=lambda s: -_RANK[s])
        ],
        "by_rule": _by_rule(digest, links, window),
        "entities": _entities(digest),
        "alerts": [
            alert_message(alert, links, language).template_context()
            for alert in ordered[:max_alerts]
        ],
        "more": max(0, len(ordered) - max_alerts),
        "queue_link": links.queue(**window),
        "time": display_time(ordered[0]) if ordered else "",
    }
