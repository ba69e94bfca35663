"""The rules page: every loaded rule with its schedule, last run and error, alerts in the last
7 days and false-positive rate, and each rule's YAML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from alerting.triage.auth.principal import EVERYONE, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import NotFoundError
from alerting.triage.rule_catalog import RuleInfo
from canhgac.models import RuleState
from canhgac.store.alert_stats import RuleOutcome
from canhgac.timeutil import to_iso

router = APIRouter(include_in_schema=False)
OUTCOME_DAYS = 7


@dataclass(frozen=True, slots=True)
class RuleRow:
    info: RuleInfo
    state: RuleState | None
    outcome: RuleOutcome | None


def rule_rows(ctx: TriageContext) -> list[RuleRow]:
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    outcomes: dict[str, RuleOutcome] = {}
    if ctx.alert_stats is not None:
        now = ctx.clock()
        since = to_iso(now - timedelta(days=OUTCOME_DAYS))
        outcomes = {o.rule_id: o for o in ctx.alert_stats.rule_outcomes(since, to_iso(now))}
    return [
        RuleRow(info, ctx.store.get_rule_state(rule_id), outcomes.get(rule_id))
        for rule_id, info in sorted(rules.items(), key=lambda item: item[1].title.casefold())
    ]


@router.get("/rules")
def rules_page(request: Request, _: Annotated[Principal, Depends(EVERYONE)]) -> Response:
    ctx = triage_context(request)
    context = {"rows": rule_rows(ctx), "days": OUTCOME_DAYS}
    return ctx.pages.render(request, "rules.html", context)


# ``path``: a rule id may hold "/" (ids are free text in Sigma), sent as %2F.
@router.get("/rules/{rule_id:path}/source")
def rule_source_page(
    request: Request, rule_id: str, _: Annotated[Principal, Depends(EVERYONE)]
) -> Response:
    ctx = triage_context(request)
    found = ctx.rule_catalog.source(rule_id) if ctx.rule_catalog else None
    if found is None:
        raise NotFoundError(f"no rule file for {rule_id[:100]!r}")
    path, text = found
    context = {"rule_id": rule_id, "path": path, "text": text}
    return ctx.pages.render(request, "rule_source.html", context)
