"""Creating an exception from an alert: the draft, its impact preview, saving it.

The preview is :func:`alerting.detect.suppressions.preview_impact`: the rules' own queries,
restricted to the exception's match, run over the stored alerts' events, so it counts what
production would have suppressed. The compiled rule set is cached until a file of the rules
folder changes (compiling every rule per preview would cost seconds).

Saving writes the exception file (:mod:`alerting.triage.exception_draft`), records an audit
entry with the exception and its previewed impact, and, if asked, closes the alert as a false
positive with a comment naming the exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.suppressions import (
    ImpactReport,
    PreviewRules,
    preview_impact,
    preview_rules,
    today_in_hanoi,
)
from alerting.triage.actions import TriageActions
from alerting.triage.errors import InvalidInputError, NotFoundError
from alerting.triage.exception_draft import (
    ExceptionDraft,
    draft_for,
    exception_path,
    loaded,
    rule_exception,
    write_exception,
)
from canhgac.config import DetectionConfig
from canhgac.models import Alert, AlertStatus
from canhgac.store.base import DetectionStore
from canhgac.store.triage import AuditEntry, CloseReason, TriageRecord, TriageStore
from canhgac.timeutil import to_iso


class RuleCatalog:
    """The rules as detection compiles them for this store, recompiled when a file changes."""

    def __init__(self, detection: DetectionConfig, query_language: str) -> None:
        self._detection = detection
        self._language = query_language
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._compiled = PreviewRules([], ProcessingPipeline())

    def _files_stamp(self) -> tuple[tuple[str, float], ...]:
        folder = Path(self._detection.rules_dir)
        files = [*self._detection.pipeline]
        if folder.is_dir():
            files += [str(p) for p in folder.rglob("*") if p.suffix in (".yml", ".yaml")]
        return tuple((f, Path(f).stat().st_mtime) for f in sorted(files) if Path(f).is_file())

    def __call__(self) -> PreviewRules:
        with self._lock:
            stamp = self._files_stamp()
            if stamp != self._stamp:
                self._compiled = preview_rules(self._detection, self._language)
                self._stamp = stamp
            return self._compiled


@dataclass(frozen=True, slots=True)
class SavedException:
    path: Path
    impact: ImpactReport
    closed: Alert | None


class ExceptionService:
    def __init__(
        self,
        store: DetectionStore,
        triage: TriageStore,
        actions: TriageActions,
        detection: DetectionConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._triage = triage
        self._actions = actions
        self._rules_dir = detection.rules_dir
        self._catalog = RuleCatalog(detection, store.query_language)
        self._clock = clock

    def _today(self) -> date:
        return today_in_hanoi(self._clock())

    def alert(self, alert_id: str) -> Alert:
        alert = self._store.get_alert(alert_id)
        if alert is None:
            raise NotFoundError(f"no alert {alert_id!r}")
        return alert

    def draft(self, alert: Alert, owner: str) -> ExceptionDraft:
        return draft_for(alert, owner, self._today())

    def preview(self, draft: ExceptionDraft) -> ImpactReport:
        """What the drafted exception would have suppressed over ``draft.days`` days."""
        exception = rule_exception(draft, self._today())
        candidate = loaded(exception, exception_path(self._rules_dir, draft.id))
        compiled = self._catalog()
        known = {r.id for r in compiled.rules} | {r.source.rule.name for r in compiled.rules}
        unknown = [r for r in draft.rules if r not in known]
        if unknown:
            raise InvalidInputError(
                f"no loaded rule {unknown[0]!r}: exceptions name rule ids or names",
                code="exception_unknown_rule",
            )
        return preview_impact(
            candidate,
            compiled.rules,
            compiled.pipeline,
            self._store,
            days=draft.days,
            now=self._clock(),
        )

    def save(
        self, actor: str, alert: Alert, draft: ExceptionDraft, *, close: bool
    ) -> SavedException:
        """Preview again (the record keeps what the author saw), write, audit, maybe close."""
        impact = self.preview(draft)
        exception = rule_exception(draft, self._today())
        note = (
            f"Created in the triage UI by {actor} on {self._today()}; "
            "the audit log (exception.create) has the alert and the previewed impact."
        )
        path = write_exception(self._rules_dir, exception, note)
        audit = AuditEntry(
            at=to_iso(self._clock()),
            actor=actor,
            action="exception.create",
            target=f"exception:{exception.id}",
            after={
                "exception": exception.model_dump(mode="json"),
                "file": path.name,
                "alert_id": alert.id,
                "preview_days": draft.days,
                "would_have_suppressed": impact.suppressed,
            },
        )
        self._triage.record(TriageRecord(audit=[audit]))
        closed = None
        if close and alert.status is not AlertStatus.closed:
            comment = f"Exception {exception.id}: {exception.reason}"
            closed = self._actions.close(actor, alert.id, CloseReason.false_positive, comment)
        return SavedException(path, impact, closed)
