"""Switching a loaded rule off, or back on: the rules page, the API and ``canhgac rules
disable|enable`` all call :class:`RuleSwitches`, so the rule has one definition.

A switch needs a reason and names who made it. The audit entry (``rule.disable`` /
``rule.enable``, the previous switch before and the new one after) is written *before* the
switch is stored: the triage store and the event store are two stores with no transaction
between them, and this order means no rule can change state unaudited. Should storing the
switch then fail, a ``.failed`` entry follows the first one and the error is raised.

Detection reads the switch at the next tick of every detector sharing the store; what a rule
switched off or back on searches is :func:`alerting.detect.run.window_plan.switch_bounds`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from alerting.triage.rule_catalog import RuleCatalog, RuleInfo
from canhgac.models import RuleSwitch
from canhgac.store.base import RuleSwitchStore
from canhgac.store.triage import AuditEntry, TriageRecord, TriageStore
from canhgac.text import nfc
from canhgac.timeutil import to_iso, utcnow

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")
#: The audit log's action names.
DISABLE_ACTION = "rule.disable"
ENABLE_ACTION = "rule.enable"
#: The error codes a switch can end in (each has a translated message and notice).
RULE_SWITCH_ERROR_CODES = (
    "rule_unknown",
    "rule_reason",
    "rule_already_disabled",
    "rule_already_enabled",
)


def clean_reason(text: str) -> str:
    """The reason as stored: NFC, trimmed, 1 to :data:`MAX_REASON_CHARS` characters."""
    # A JSON body may carry a lone surrogate, which no store can encode as UTF-8.
    text = nfc(_SURROGATE.sub("\ufffd", text).strip())
    if not text:
        raise InvalidInputError("switching a rule off or on needs a reason", code="rule_reason")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInputError(
            f"a reason is at most {MAX_REASON_CHARS} characters", code="rule_reason"
        )
    return text


def is_enabled(switch: RuleSwitch | None) -> bool:
    """A rule nobody switched runs."""
    return switch is None or switch.enabled


class RuleSwitches:
    def __init__(
        self,
        store: RuleSwitchStore,
        triage: TriageStore,
        catalog: RuleCatalog | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._triage = triage
        self._catalog = catalog
        self._clock = clock

    def current(self, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
        """The stored switch of each rule that has one."""
        return self._store.get_rule_switches(rule_ids)

    def rule(self, rule_id: str) -> RuleInfo:
        """A rule of the rules folder, or :class:`NotFoundError`."""
        info = self._catalog.rules().get(rule_id) if self._catalog else None
        if info is None:
            raise NotFoundError(f"no loaded rule {rule_id[:200]!r}", code="rule_unknown")
        return info

    def switch(
        self,
        actor: str,
        rule_id: str,
        *,
        enabled: bool,
        reason: str,
        source_ip: str | None = None,
    ) -> RuleSwitch:
        """Switch ``rule_id`` off (``enabled`` False) or back on, audited; returns the switch.
        Switching a rule to the state it is in is a :class:`ConflictError`."""
        info = self.rule(rule_id)
        reason = clean_reason(reason)
        previous = self._store.get_rule_switches([rule_id]).get(rule_id)
        if is_enabled(previous) == enabled:
            state = "enabled" if enabled else "disabled"
            raise ConflictError(f"the rule is already {state}", code=f"rule_already_{state}")
        switch = RuleSwitch(
            rule_id=rule_id,
            enabled=enabled,
            reason=reason,
            actor=actor,
            changed_at=to_iso(self._clock()),
        )
        entry = AuditEntry(
            at=switch.changed_at,
            actor=actor,
            action=ENABLE_ACTION if enabled else DISABLE_ACTION,
            target=f"rule:{rule_id}",
            before=previous.model_dump(mode="json") if previous else {"enabled": True},
            after=switch.model_dump(mode="json") | {"title": info.title, "path": info.path},
            source_ip=source_ip,
        )
        self._triage.record(TriageRecord(audit=[entry]))
        try:
            self._store.save_rule_switch(switch)
        except Exception:
            self._record_failure(entry)
            raise
        return switch

    def _record_failure(self, entry: AuditEntry) -> None:
        failed = entry.model_copy(
            update={"action": f"{entry.action}.failed", "at": to_iso(self._clock()), "seq": None}
        )
        try:
            self._triage.record(TriageRecord(audit=[failed]))
        except Exception:
            log.exception("could not audit the failed %s of %s", entry.action, entry.target)
