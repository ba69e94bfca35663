"""The rules page: every loaded rule with its schedule, last run and error, alerts in the last
7 days and false-positive rate, whether it runs (switched off and on by rule authors, with a
reason, audited), and each rule's YAML and tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from alerting.triage.auth.principal import EVERYONE, RULE_AUTHORS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import NotFoundError, TriageError
from alerting.triage.rule_catalog import RuleInfo
from alerting.triage.rule_switch import MAX_REASON_CHARS
from canhgac.models import RuleState, RuleSwitch
from canhgac.store.alert_stats import RuleOutcome
from canhgac.timeutil import to_iso

router = APIRouter(include_in_schema=False)
OUTCOME_DAYS = 7
Author = Annotated[Principal, Depends(RULE_AUTHORS)]


@dataclass(frozen=True, slots=True)
class RuleRow:
    info: RuleInfo
    state: RuleState | None
    outcome: RuleOutcome | None
    #: The latest switch a person made (None: never switched, the rule runs).
    switch: RuleSwitch | None = None

    @property
    def enabled(self) -> bool:
        return self.switch is None or self.switch.enabled


def rule_rows(ctx: TriageContext) -> list[RuleRow]:
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    outcomes: dict[str, RuleOutcome] = {}
    if ctx.alert_stats is not None:
        now = ctx.clock()
        since = to_iso(now - timedelta(days=OUTCOME_DAYS))
        outcomes = {o.rule_id: o for o in ctx.alert_stats.rule_outcomes(since, to_iso(now))}
    ids = list(rules)
    states = ctx.store.get_rule_states(ids)
    switches = ctx.rule_switches().current(ids)
    return [
        RuleRow(info, states.get(rule_id), outcomes.get(rule_id), switches.get(rule_id))
        for rule_id, info in sorted(rules.items(), key=lambda item: item[1].title.casefold())
    ]


@router.get("/rules")
def rules_page(
    request: Request, principal: Annotated[Principal, Depends(EVERYONE)], notice: str = ""
) -> Response:
    ctx = triage_context(request)
    context = {
        "rows": rule_rows(ctx),
        "days": OUTCOME_DAYS,
        "notice": notice[:64],
        "can_switch": principal.role in RULE_AUTHORS.roles,
        "max_reason": MAX_REASON_CHARS,
    }
    return ctx.pages.render(request, "rules.html", context)


# ``path``: a rule id may hold "/" (ids are free text in Sigma), sent as %2F.
@router.post("/rules/{rule_id:path}/switch")
def switch_rule(
    request: Request,
    rule_id: str,
    principal: Author,
    enabled: Annotated[str, Form(pattern="^[01]$")],
    reason: Annotated[str, Form(max_length=MAX_REASON_CHARS * 4)] = "",
) -> Response:
    """Switch a rule off (``enabled=0``) or back on (``enabled=1``); back to the rules page
    with a notice either way (a refused switch names why)."""
    ctx = triage_context(request)
    source_ip = request.client.host if request.client else None
    try:
        switch = ctx.rule_switches().switch(
            principal.username,
            rule_id,
            enabled=enabled == "1",
            reason=reason,
            source_ip=source_ip,
        )
    except TriageError as exc:
        if exc.status == 404:
            raise
        notice = exc.code
    else:
        notice = "done_rule_enabled" if switch.enabled else "done_rule_disabled"
    anchor = quote(f"rule-{rule_id}", safe="")
    return RedirectResponse(f"/rules?notice={notice}#{anchor}", 303)


def _file_page(request: Request, rule_id: str, found: tuple[str, str] | None) -> Response:
    if found is None:
        raise NotFoundError(f"no such file for {rule_id[:100]!r}")
    path, text = found
    context = {"rule_id": rule_id, "path": path, "text": text}
    return triage_context(request).pages.render(request, "rule_source.html", context)


@router.get("/rules/{rule_id:path}/source")
def rule_source_page(
    request: Request, rule_id: str, _: Annotated[Principal, Depends(EVERYONE)]
) -> Response:
    catalog = triage_context(request).rule_catalog
    return _file_page(request, rule_id, catalog.source(rule_id) if catalog else None)


@router.get("/rules/{rule_id:path}/tests")
def rule_tests_page(
    request: Request, rule_id: str, _: Annotated[Principal, Depends(EVERYONE)]
) -> Response:
    """The rule's must-fire and must-not-fire events (``<rule>.tests.yml``)."""
    catalog = triage_context(request).rule_catalog
    return _file_page(request, rule_id, catalog.tests(rule_id) if catalog else None)
