"""A minimal stored alert for store tests."""

from __future__ import annotations

from canhgac.models import Alert

SEEN = "2026-11-27T10:00:00.000000Z"


def bare_alert(alert_id: str, priority: int | None = None, seen: str = SEEN) -> Alert:
    """One alert of rule ``r1`` seen once at ``seen``, with ``priority``."""
    return Alert(
        id=alert_id,
        rule_id="r1",
        rule_title="Quét cổng",
        severity="high",
        first_seen=seen,
        last_seen=seen,
        created_at=seen,
        updated_at=seen,
        priority=priority,
    )
