"""``/api/v1/rules``: the loaded rules with whether each runs, and switching one off or on
(rule authors; a reason is required and the switch is audited, see
:mod:`alerting.triage.rule_switch`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from alerting.triage.auth.principal import EVERYONE, RULE_AUTHORS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import API_ERROR_RESPONSES
from alerting.triage.rule_switch import MAX_REASON_CHARS
from canhgac.models import RuleSwitch

router = APIRouter(prefix="/api/v1/rules", tags=["rules"], responses=API_ERROR_RESPONSES)

RuleId = Annotated[str, Path(min_length=1, max_length=200)]
Author = Annotated[Principal, Depends(RULE_AUTHORS)]
Anyone = Annotated[Principal, Depends(EVERYONE)]


def _ctx(request: Request) -> TriageContext:
    return triage_context(request)


Context = Annotated[TriageContext, Depends(_ctx)]


class SwitchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS, description="Why (audited)")


class RuleOut(BaseModel):
    rule_id: str
    title: str
    level: str
    path: str = Field(description="The rule file, relative to the rules folder")
    enabled: bool
    switch: RuleSwitch | None = Field(description="The latest switch a person made, if any")


@router.get("", summary="The loaded rules and whether each runs")
def list_rules(ctx: Context, _: Anyone) -> list[RuleOut]:
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    switches = ctx.rule_switches().current(list(rules))
    return [
        RuleOut(
            rule_id=rule_id,
            title=info.title,
            level=info.level,
            path=info.path,
            enabled=switches.get(rule_id) is None or switches[rule_id].enabled,
            switch=switches.get(rule_id),
        )
        for rule_id, info in rules.items()
    ]


def _switch(
    ctx: TriageContext, request: Request, who: Principal, rule_id: str, body: SwitchBody, on: bool
) -> RuleSwitch:
    source_ip = request.client.host if request.client else None
    return ctx.rule_switches().switch(
        who.username, rule_id, enabled=on, reason=body.reason, source_ip=source_ip
    )


@router.post("/{rule_id}/disable", summary="Stop running a rule from its next tick")
def disable(
    ctx: Context, request: Request, who: Author, rule_id: RuleId, body: SwitchBody
) -> RuleSwitch:
    return _switch(ctx, request, who, rule_id, body, False)


@router.post("/{rule_id}/enable", summary="Run a rule again, from now")
def enable(
    ctx: Context, request: Request, who: Author, rule_id: RuleId, body: SwitchBody
) -> RuleSwitch:
    return _switch(ctx, request, who, rule_id, body, True)
