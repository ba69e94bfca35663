"""The services one running triage app shares between its requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from starlette.requests import HTTPConnection

from alerting.triage.actions import TriageActions
from alerting.triage.asset_view import AssetSource, no_inventory
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.sessions import Sessions
from alerting.triage.auth.tokens import Tokens
from alerting.triage.exception_service import ExceptionService
from alerting.triage.incident_actions import IncidentActions
from alerting.triage.incident_escalation import IncidentEscalation
from alerting.triage.overview import Overview
from alerting.triage.render import Pages
from alerting.triage.rule_catalog import RuleCatalog
from alerting.triage.rule_switch import RuleSwitches
from alerting.triage.sources import DataSources
from canhgac.config import WebConfig
from canhgac.store.alert_stats import AlertStats
from canhgac.store.base import TriageSiteStore
from canhgac.store.triage import TriageStore


@dataclass(frozen=True, slots=True)
class TriageContext:
    store: TriageSiteStore
    triage: TriageStore
    web: WebConfig
    accounts: Accounts
    sessions: Sessions
    tokens: Tokens
    actions: TriageActions
    exceptions: ExceptionService
    pages: Pages
    clock: Callable[[], datetime]
    #: Computes the overview's figures now.
    overview: Callable[[], Overview]
    #: Data health per source key (the sources pages and API).
    sources: DataSources
    #: The loaded rules' titles, levels, tags and files (rules page, overview).
    rule_catalog: RuleCatalog | None = None
    #: The store's alert aggregations (overview charts, rules page); None if it keeps none.
    alert_stats: AlertStats | None = None
    #: The current asset inventory (city context of alerts and entities).
    assets: AssetSource = no_inventory

    def rule_switches(self) -> RuleSwitches:
        """Switching rules off and on (the rules page and API); holds no state of its own."""
        return RuleSwitches(self.store, self.triage, self.rule_catalog, self.clock)

    #: Incidents (pages, API); None if the store keeps none.
    incidents: IncidentActions | None = None
    #: The case-management channels an incident may be escalated to.
    escalation: IncidentEscalation = field(default_factory=lambda: IncidentEscalation({}))


def triage_context(connection: HTTPConnection) -> TriageContext:
    return cast(TriageContext, connection.app.state.triage)
