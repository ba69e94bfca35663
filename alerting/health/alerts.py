"""Health findings -> alerts through the normal path: the same :class:`Alert` model,
``store.record_alerts``, deterministic ids and the notification outbox.

An alert id is ``blake2(rule id, source key, episode)``: the episode is the suppression bucket
of the hour (``health.suppress``) or the moment a silence began, so recomputing an hour, or
judging the same silence every minute, merges into one alert instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alerting.alerts import alert_id
from alerting.health.judge import Finding
from canhgac.health.fields import DATASET_FIELD, HOST_FIELD, SOURCE_FIELD
from canhgac.models import Alert
from canhgac.store.base import AlertWrite, Store

Router = Callable[[Alert], Sequence[str]]


def health_alert(finding: Finding, now: str) -> Alert:
    rule, key = finding.rule, finding.key
    snapshot: dict[str, object] = {SOURCE_FIELD: key.source}
    if key.host:
        snapshot[HOST_FIELD] = key.host
    if key.dataset:
        snapshot[DATASET_FIELD] = key.dataset
    snapshot["message"] = finding.message_vi
    snapshot.update({f"health.{name}": value for name, value in finding.values.items()})
    return Alert(
        id=alert_id(rule.id, key.source, key.host, key.dataset, finding.episode),
        rule_id=rule.id,
        rule_title=rule.title,
        rule_description=f"{finding.message_vi}\n{finding.message_en}",
        severity=rule.severity,
        tags=["canhgac.health", f"canhgac.health.{rule.quality.value}"],
        group_key={"source": key.source, "host": key.host, "dataset": key.dataset},
        first_seen=finding.first_seen,
        last_seen=finding.last_seen,
        count=0,
        snapshot=snapshot,
        created_at=now,
        updated_at=now,
    )


def raise_alerts(
    store: Store,
    findings: Sequence[tuple[Finding, Sequence[str]]],
    route: Router,
    now: str,
) -> list[AlertWrite]:
    """Record each (finding, sample event ids) as an alert and enqueue notifications of the
    new ones for the channels ``route`` picks. Returns the writes, in order."""
    if not findings:
        return []
    writes = store.record_alerts([(health_alert(f, now), ids) for f, ids in findings])
    notes = [(w.alert.id, list(route(w.alert))) for w in writes if w.created]
    notes = [(alert, channels) for alert, channels in notes if channels]
    if notes:
        store.enqueue_notifications_batch(notes)
    return writes
