"""What analysts do to alerts: acknowledge, assign, comment, close, reopen, in bulk too.

Pages and the API both call these, so a transition has one definition. Each action changes
the alert's triage fields in the store and records, in one triage-store transaction, the status
change (for MTTA/MTTR), the comment and an audit entry with the fields before and after.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError, TriageError
from canhgac.models import Alert, AlertStatus
from canhgac.store.base import NotifyStore
from canhgac.store.triage import (
    AuditEntry,
    CloseReason,
    Comment,
    StatusChange,
    TriageRecord,
    TriageStore,
)
from canhgac.text import nfc
from canhgac.timeutil import to_iso, utcnow

MAX_COMMENT_CHARS = 10_000
MAX_BULK = 500
_SURROGATE = re.compile("[\ud800-\udfff]")


class BulkAction(StrEnum):
    acknowledge = "acknowledge"
    assign = "assign"
    close = "close"
    reopen = "reopen"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    #: alert id -> error code, for alerts the action did not apply to.
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Change:
    """One alert's change being prepared: the new alert and what to record about it."""

    alert: Alert
    record: TriageRecord


def _triage_fields(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status.value,
        "assignee": alert.assignee,
        "close_reason": alert.close_reason,
    }


def clean_comment(text: str) -> str:
    # A JSON body may carry a lone surrogate ("\\ud800"), which no store can encode as UTF-8.
    text = _SURROGATE.sub("\ufffd", text)
    text = nfc(text.strip())
    if not 1 <= len(text) <= MAX_COMMENT_CHARS:
        raise InvalidInputError(f"a comment is 1 to {MAX_COMMENT_CHARS} characters")
    return text


class TriageActions:
    def __init__(
        self,
        store: NotifyStore,
        triage: TriageStore,
        *,
        assign_channel: str | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``assign_channel`` is the notification channel told about assignments (None:
        assignments notify nobody)."""
        self._store = store
        self._triage = triage
        self._assign_channel = assign_channel
        self._clock = clock

    # --- single alerts -------------------------------------------------------------------------
    def acknowledge(self, actor: str, alert_id: str) -> Alert:
        return self._apply(self._acknowledge(actor, self._alert(alert_id)))

    def assign(self, actor: str, alert_id: str, assignee: str) -> Alert:
        alert = self._apply(self._assign(actor, self._alert(alert_id), assignee))
        self._notify_assignment(alert)
        return alert

    def close(
        self, actor: str, alert_id: str, reason: CloseReason, comment: str | None = None
    ) -> Alert:
        return self._apply(self._close(actor, self._alert(alert_id), reason, comment))

    def reopen(self, actor: str, alert_id: str, comment: str | None = None) -> Alert:
        return self._apply(self._reopen(actor, self._alert(alert_id), comment))

    def comment(self, actor: str, alert_id: str, text: str) -> Comment:
        alert = self._alert(alert_id)
        note = self._new_comment(actor, alert.id, text)
        audit = self._audit(actor, "alert.comment", alert.id, None, {"comment_id": note.id})
        self._triage.record(TriageRecord(comments=[note], audit=[audit]))
        return note

    # --- bulk ----------------------------------------------------------------------------------
    def bulk(
        self,
        actor: str,
        alert_ids: Sequence[str],
        action: BulkAction,
        *,
        assignee: str | None = None,
        reason: CloseReason | None = None,
        comment: str | None = None,
    ) -> BulkOutcome:
        """Apply ``action`` to each alert it fits; the others are reported, not failed."""
        ids = list(dict.fromkeys(alert_ids))
        if not 1 <= len(ids) <= MAX_BULK:
            raise InvalidInputError(f"select 1 to {MAX_BULK} alerts")
        if action is BulkAction.close and reason is None:
            raise InvalidInputError("closing needs a reason")
        if action is BulkAction.assign and not assignee:
            raise InvalidInputError("assigning needs an assignee")
        outcome = BulkOutcome()
        changes: list[_Change] = []
        for alert_id in ids:
            try:
                alert = self._alert(alert_id)
                if action is BulkAction.acknowledge:
                    changes.append(self._acknowledge(actor, alert))
                elif action is BulkAction.assign:
                    changes.append(self._assign(actor, alert, str(assignee)))
                elif action is BulkAction.close:
                    changes.append(self._close(actor, alert, reason or CloseReason.benign, comment))
                else:
                    changes.append(self._reopen(actor, alert, comment))
            except TriageError as exc:
                outcome.skipped[alert_id] = exc.code
        for change in changes:
            self._store.update_alert(change.alert)
            outcome.done.append(change.alert.id)
        self._triage.record(
            TriageRecord(
                status_changes=[c for ch in changes for c in ch.record.status_changes],
                comments=[c for ch in changes for c in ch.record.comments],
                audit=[a for ch in changes for a in ch.record.audit],
            )
        )
        if action is BulkAction.assign:
            for change in changes:
                self._notify_assignment(change.alert)
        return outcome

    # --- transitions (pure: they prepare, _apply writes) ----------------------------------------
    def _acknowledge(self, actor: str, alert: Alert) -> _Change:
        if alert.status is not AlertStatus.new:
            raise ConflictError(f"alert is {alert.status.value}, not new", code="not_new")
        return self._transition(actor, alert, "alert.acknowledge", AlertStatus.acknowledged)

    def _assign(self, actor: str, alert: Alert, assignee: str) -> _Change:
        user = self._triage.get_user(assignee)
        if user is None or user.disabled:
            raise InvalidInputError(f"no active user {assignee!r}", code="unknown_assignee")
        if alert.status is AlertStatus.closed:
            raise ConflictError("alert is closed; reopen it first", code="closed")
        # Taking an alert on is acknowledging it: MTTA counts from the first human response.
        status = AlertStatus.acknowledged
        return self._transition(actor, alert, "alert.assign", status, assignee=user.username)

    def _close(self, actor: str, alert: Alert, reason: CloseReason, comment: str | None) -> _Change:
        if alert.status is AlertStatus.closed:
            raise ConflictError("alert is already closed", code="closed")
        return self._transition(
            actor, alert, "alert.close", AlertStatus.closed, reason=reason, comment=comment
        )

    def _reopen(self, actor: str, alert: Alert, comment: str | None) -> _Change:
        if alert.status is not AlertStatus.closed:
            raise ConflictError(f"alert is {alert.status.value}, not closed", code="not_closed")
        return self._transition(
            actor, alert, "alert.reopen", AlertStatus.acknowledged, comment=comment
        )

    def _transition(
        self,
        actor: str,
        alert: Alert,
        action: str,
        status: AlertStatus,
        *,
        assignee: str | None = None,
        reason: CloseReason | None = None,
        comment: str | None = None,
    ) -> _Change:
        now = to_iso(self._clock())
        notes = [self._new_comment(actor, alert.id, comment)] if comment else []
        update: dict[str, Any] = {
            "status": status,
            "close_reason": reason.value if reason else None,
            "updated_at": now,
        }
        if assignee is not None:
            update["assignee"] = assignee
        changed = alert.model_copy(update=update)
        history = []
        if status is not alert.status:
            history.append(
                StatusChange(
                    alert_id=alert.id,
                    at=now,
                    actor=actor,
                    from_status=alert.status,
                    to_status=status,
                    severity=alert.severity,
                    alert_created_at=alert.created_at,
                    reason=reason,
                )
            )
        audit = self._audit(actor, action, alert.id, _triage_fields(alert), _triage_fields(changed))
        return _Change(changed, TriageRecord(history, notes, [audit]))

    # --- helpers -------------------------------------------------------------------------------
    def _apply(self, change: _Change) -> Alert:
        self._store.update_alert(change.alert)
        self._triage.record(change.record)
        return change.alert

    def _alert(self, alert_id: str) -> Alert:
        alert = self._store.get_alert(alert_id)
        if alert is None:
            raise NotFoundError(f"no alert {alert_id!r}")
        return alert

    def _new_comment(self, actor: str, alert_id: str, text: str) -> Comment:
        return Comment(
            id=secrets.token_hex(8),
            alert_id=alert_id,
            author=actor,
            text=clean_comment(text),
            created_at=to_iso(self._clock()),
        )

    def _audit(
        self,
        actor: str,
        action: str,
        alert_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> AuditEntry:
        return AuditEntry(
            at=to_iso(self._clock()),
            actor=actor,
            action=action,
            target=f"alert:{alert_id}",
            before=before,
            after=after,
        )

    def _notify_assignment(self, alert: Alert) -> None:
        """Send the assigned alert through the assignment channel again.

        The outbox keeps one row per (alert, channel); re-arming that row (pending, no
        attempts) makes the dispatcher deliver the alert, now carrying its assignee, again.
        """
        channel = self._assign_channel
        if channel is None:
            return
        existing = [n for n in self._store.list_notifications(alert.id) if n.channel == channel]
        if not existing:
            self._store.enqueue_notifications(alert.id, [channel])
            return
        self._store.mark_notification(
            existing[0].model_copy(
                update={
                    "status": "pending",
                    "attempts": 0,
                    "last_error": None,
                    "updated_at": to_iso(self._clock()),
                }
            )
        )
