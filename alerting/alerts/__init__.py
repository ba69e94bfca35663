"""Alerts: turning a rule's matched events into deterministic, groupable alerts."""

from alerting.alerts.build import (
    AlertDraft,
    AlertRule,
    alert_id,
    build_alerts,
    severity_for,
    snapshot,
)

__all__ = ["AlertDraft", "AlertRule", "alert_id", "build_alerts", "severity_for", "snapshot"]
