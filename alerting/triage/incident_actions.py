"""What analysts do to incidents: open one from alerts, add alerts, take it on, change its
status or severity, comment, keep its task checklist, close and reopen it.

Pages and the API both call these. Each action is one revision-checked write of the incident
(:func:`~alerting.incidents.changes.update_incident`: a concurrent change is merged, never
lost) and one audit entry in the triage store with the header fields before and after, as
alert actions are audited. An action that changes nothing (adding alerts the incident holds,
ticking a ticked task) writes and audits nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from alerting.incidents.changes import (
    MAX_TITLE_CHARS,
    IncidentConflictError,
    IncidentLimitError,
    act,
    add_alerts,
    incident_id_for,
    new_incident,
    update_incident,
)
from alerting.triage.actions import clean_comment
from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from canhgac.models import Alert, Severity
from canhgac.store.base import AlertStore
from canhgac.store.incidents import (
    MAX_INCIDENT_COMMENTS,
    MAX_INCIDENT_TASKS,
    Incident,
    IncidentComment,
    IncidentStatus,
    IncidentStore,
    IncidentTask,
)
from canhgac.store.triage import AuditEntry, CloseReason, TriageRecord, TriageStore
from canhgac.text import nfc
from canhgac.timeutil import to_iso, utcnow

MAX_TASK_CHARS = 500
MAX_ALERTS_PER_REQUEST = 500

Change = Callable[[Incident], Incident]


def header(incident: Incident) -> dict[str, Any]:
    """The fields an audit entry shows before and after."""
    return {
        "title": incident.title,
        "status": incident.status.value,
        "owner": incident.owner,
        "severity": incident.severity.value,
        "close_reason": incident.close_reason.value if incident.close_reason else None,
        "alerts": len(incident.alert_ids),
        "tasks_done": sum(task.done for task in incident.tasks),
        "tasks": len(incident.tasks),
        "comments": len(incident.comments),
    }


def clean_line(text: str, limit: int, what: str) -> str:
    """One line of text (a title, a task): whitespace runs folded, 1 to ``limit`` chars."""
    try:
        text = nfc(" ".join(clean_comment(text).split()))
    except InvalidInputError:
        text = ""
    if not 1 <= len(text) <= limit:
        raise InvalidInputError(f"{what} is 1 to {limit} characters")
    return text


def _acknowledged(incident: Incident, at: str) -> Incident:
    return (
        incident
        if incident.acknowledged_at
        else incident.model_copy(update={"acknowledged_at": at})
    )


class IncidentActions:
    def __init__(
        self,
        incidents: IncidentStore,
        alerts: AlertStore,
        triage: TriageStore,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = incidents
        self._alerts = alerts
        self._triage = triage
        self._clock = clock

    # --- reading -------------------------------------------------------------------------------
    def get(self, incident_id: str) -> Incident:
        incident = self.store.get_incident(incident_id)
        if incident is None:
            raise NotFoundError(f"no incident {incident_id!r}")
        return incident

    # --- creating and grouping -----------------------------------------------------------------
    def create(
        self,
        actor: str,
        title: str,
        alert_ids: Sequence[str] = (),
        *,
        severity: Severity | None = None,
        request_id: str | None = None,
    ) -> Incident:
        """A new incident holding the given alerts (unknown ids are refused).

        ``request_id`` makes creating idempotent: the same actor sending the same request id
        again (a double click, a retried API call) gets the incident the first one made."""
        alerts = self._load_alerts(alert_ids, allow_empty=True)
        title = title.strip() or (alerts[0].rule_title if alerts else "")
        now = self._now()
        seed = f"{actor}\x1f{request_id}" if request_id else secrets.token_hex(16)
        try:
            incident = new_incident(
                incident_id_for(seed),
                title=clean_line(title, MAX_TITLE_CHARS, "a title"),
                actor=actor,
                at=now,
                alerts=alerts,
                severity=severity,
            )
        except IncidentLimitError as exc:
            raise InvalidInputError(str(exc), code="incident_full") from exc
        if not self.store.create_incident(incident):
            if request_id:  # made by this very request before
                return self.get(incident.id)
            raise ConflictError("incident id taken; try again")  # 64 random bits: never
        self._audit(actor, "incident.create", incident.id, None, header(incident))
        return incident

    def add_alerts(self, actor: str, incident_id: str, alert_ids: Sequence[str]) -> Incident:
        alerts = self._load_alerts(alert_ids)

        def change(incident: Incident) -> Incident:
            if incident.status is IncidentStatus.closed:
                raise ConflictError("incident is closed; reopen it first", code="closed")
            return add_alerts(incident, alerts, actor, self._now())

        return self._update(actor, "incident.add_alerts", incident_id, change)

    # --- the header ----------------------------------------------------------------------------
    def assign(self, actor: str, incident_id: str, owner: str) -> Incident:
        user = self._triage.get_user(owner)
        if user is None or user.disabled:
            raise InvalidInputError(f"no active user {owner!r}", code="unknown_assignee")

        def change(incident: Incident) -> Incident:
            self._not_closed(incident)
            if incident.owner == user.username:
                return incident
            now = self._now()
            # Taking an incident on is acknowledging it: MTTA ends at the first response.
            status = incident.status
            if status is IncidentStatus.open:
                status = IncidentStatus.investigating
            changed = incident.model_copy(update={"owner": user.username, "status": status})
            return act(
                _acknowledged(changed, now), actor, now, "incident.assign", owner=user.username
            )

        return self._update(actor, "incident.assign", incident_id, change)

    def set_status(self, actor: str, incident_id: str, status: IncidentStatus) -> Incident:
        if status is IncidentStatus.closed:
            raise InvalidInputError("closing needs a reason: use close")

        def change(incident: Incident) -> Incident:
            self._not_closed(incident)
            if incident.status is status:
                return incident
            now = self._now()
            changed = incident.model_copy(update={"status": status})
            if status is not IncidentStatus.open:
                changed = _acknowledged(changed, now)
            return act(
                changed,
                actor,
                now,
                "incident.status",
                before=incident.status.value,
                after=status.value,
            )

        return self._update(actor, "incident.status", incident_id, change)

    def set_severity(self, actor: str, incident_id: str, severity: Severity) -> Incident:
        def change(incident: Incident) -> Incident:
            if incident.severity is severity:
                return incident
            changed = incident.model_copy(update={"severity": severity})
            return act(
                changed,
                actor,
                self._now(),
                "incident.severity",
                before=incident.severity.value,
                after=severity.value,
            )

        return self._update(actor, "incident.severity", incident_id, change)

    def close(
        self, actor: str, incident_id: str, reason: CloseReason, comment: str | None = None
    ) -> Incident:
        def change(incident: Incident) -> Incident:
            self._not_closed(incident)
            now = self._now()
            changed = incident.model_copy(
                update={"status": IncidentStatus.closed, "close_reason": reason, "closed_at": now}
            )
            if comment:
                changed = self._with_comment(changed, actor, comment, now)
            return act(
                _acknowledged(changed, now), actor, now, "incident.close", reason=reason.value
            )

        return self._update(actor, "incident.close", incident_id, change)

    def reopen(self, actor: str, incident_id: str) -> Incident:
        def change(incident: Incident) -> Incident:
            if incident.status is not IncidentStatus.closed:
                raise ConflictError("incident is not closed", code="not_closed")
            changed = incident.model_copy(
                update={"status": IncidentStatus.investigating, "close_reason": None}
            )
            return act(changed, actor, self._now(), "incident.reopen")

        return self._update(actor, "incident.reopen", incident_id, change)

    def record_escalation(self, actor: str, incident_id: str, channel: str) -> Incident:
        """Note in the history that the incident was sent to case management ``channel``."""

        def change(incident: Incident) -> Incident:
            return act(incident, actor, self._now(), "incident.escalate", channel=channel)

        return self._update(actor, "incident.escalate", incident_id, change)

    # --- comments and tasks --------------------------------------------------------------------
    def comment(self, actor: str, incident_id: str, text: str) -> Incident:
        text = clean_comment(text)

        def change(incident: Incident) -> Incident:
            now = self._now()
            changed = self._with_comment(incident, actor, text, now)
            return act(changed, actor, now, "incident.comment", comment_id=changed.comments[-1].id)

        return self._update(actor, "incident.comment", incident_id, change)

    def add_task(self, actor: str, incident_id: str, text: str) -> Incident:
        text = clean_line(text, MAX_TASK_CHARS, "a task")

        def change(incident: Incident) -> Incident:
            if len(incident.tasks) >= MAX_INCIDENT_TASKS:
                raise InvalidInputError(f"at most {MAX_INCIDENT_TASKS} tasks", code="incident_full")
            now = self._now()
            task = IncidentTask(
                id=secrets.token_hex(6), text=text, created_by=actor, created_at=now
            )
            changed = incident.model_copy(update={"tasks": [*incident.tasks, task]})
            return act(changed, actor, now, "incident.task_add", task_id=task.id, text=text)

        return self._update(actor, "incident.task_add", incident_id, change)

    def set_task(self, actor: str, incident_id: str, task_id: str, done: bool) -> Incident:
        def change(incident: Incident) -> Incident:
            if not any(task.id == task_id for task in incident.tasks):
                raise NotFoundError(f"no task {task_id!r}")
            now = self._now()
            tasks = [
                task.model_copy(
                    update={
                        "done": done,
                        "done_by": actor if done else None,
                        "done_at": now if done else None,
                    }
                )
                if task.id == task_id and task.done != done
                else task
                for task in incident.tasks
            ]
            if tasks == incident.tasks:
                return incident
            action = "incident.task_done" if done else "incident.task_undone"
            return act(
                incident.model_copy(update={"tasks": tasks}), actor, now, action, task_id=task_id
            )

        return self._update(actor, "incident.task", incident_id, change)

    # --- helpers -------------------------------------------------------------------------------
    def _now(self) -> str:
        return to_iso(self._clock())

    @staticmethod
    def _not_closed(incident: Incident) -> None:
        if incident.status is IncidentStatus.closed:
            raise ConflictError("incident is closed; reopen it first", code="closed")

    @staticmethod
    def _with_comment(incident: Incident, actor: str, text: str, at: str) -> Incident:
        if len(incident.comments) >= MAX_INCIDENT_COMMENTS:
            raise InvalidInputError(
                f"at most {MAX_INCIDENT_COMMENTS} comments", code="incident_full"
            )
        note = IncidentComment(
            id=secrets.token_hex(8), author=actor, text=clean_comment(text), created_at=at
        )
        return incident.model_copy(update={"comments": [*incident.comments, note]})

    def _load_alerts(self, alert_ids: Sequence[str], *, allow_empty: bool = False) -> list[Alert]:
        ids = list(dict.fromkeys(alert_ids))
        if not allow_empty and not ids:
            raise InvalidInputError("select at least one alert", code="no_alerts")
        if len(ids) > MAX_ALERTS_PER_REQUEST:
            raise InvalidInputError(f"select at most {MAX_ALERTS_PER_REQUEST} alerts")
        alerts = []
        for alert_id in ids:
            alert = self._alerts.get_alert(alert_id)
            if alert is None:
                raise NotFoundError(f"no alert {alert_id!r}")
            alerts.append(alert)
        return alerts

    def _update(self, actor: str, action: str, incident_id: str, change: Change) -> Incident:
        def missing() -> Exception:
            return NotFoundError(f"no incident {incident_id!r}")

        try:
            before, after = update_incident(self.store, incident_id, change, missing=missing)
        except IncidentLimitError as exc:
            raise InvalidInputError(str(exc), code="incident_full") from exc
        except IncidentConflictError as exc:
            raise ConflictError(str(exc), code="busy") from exc
        if after is not before:
            self._audit(actor, action, incident_id, header(before), header(after))
        return after

    def _audit(
        self,
        actor: str,
        action: str,
        incident_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        entry = AuditEntry(
            at=self._now(),
            actor=actor,
            action=action,
            target=f"incident:{incident_id}",
            before=before,
            after=after,
        )
        self._triage.record(TriageRecord(audit=[entry]))
