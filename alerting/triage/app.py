"""Building the triage app (:func:`create_app`) and running it for the CLI (:func:`serve`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from alerting.triage.actions import TriageActions
from alerting.triage.api import admin as api_admin
from alerting.triage.api import alerts as api_alerts
from alerting.triage.api import exceptions as api_exceptions
from alerting.triage.api import incidents as api_incidents
from alerting.triage.api import rules as api_rules
from alerting.triage.api import search as api_search
from alerting.triage.api import sources as api_sources
from alerting.triage.asset_view import AssetSource
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import HashingPool, Passwords
from alerting.triage.auth.sessions import Sessions
from alerting.triage.auth.tokens import Tokens
from alerting.triage.context import TriageContext
from alerting.triage.exception_service import ExceptionService
from alerting.triage.handlers import install_handlers
from alerting.triage.headers import SecurityHeadersMiddleware
from alerting.triage.i18n import LanguageMiddleware
from alerting.triage.incident_actions import IncidentActions
from alerting.triage.incident_escalation import IncidentEscalation
from alerting.triage.overview import build_overview
from alerting.triage.render import Pages
from alerting.triage.rule_catalog import RuleCatalog
from alerting.triage.rule_index import RuleIndex
from alerting.triage.sources import DataSources
from alerting.triage.web import accounts as web_accounts
from alerting.triage.web import admin as web_admin
from alerting.triage.web import alerts as web_alerts
from alerting.triage.web import entities as web_entities
from alerting.triage.web import exceptions as web_exceptions
from alerting.triage.web import incidents as web_incidents
from alerting.triage.web import login as web_login
from alerting.triage.web import overview as web_overview
from alerting.triage.web import rules as web_rules
from alerting.triage.web import search as web_search
from alerting.triage.web import sources as web_sources
from canhgac.assets.inventory import AssetInventory
from canhgac.config import Settings
from canhgac.store.alert_stats import AlertStats
from canhgac.store.base import Store, TriageSiteStore
from canhgac.store.health import HealthStore
from canhgac.store.triage import TriageStore
from canhgac.timeutil import utcnow

STATIC_DIR = Path(__file__).parent / "static"
#: The first admin's generated password, under ``data_dir`` (deleted once it is changed).
INITIAL_PASSWORD_FILE = "initial-admin-password"
ROUTERS = (
    web_login.router,
    web_alerts.router,
    web_exceptions.router,
    web_overview.router,
    web_rules.router,
    web_sources.router,
    web_search.router,
    web_entities.router,
    web_incidents.router,
    web_admin.router,
    web_accounts.router,
    api_alerts.router,
    api_exceptions.router,
    api_rules.router,
    api_incidents.router,
    api_sources.router,
    api_search.router,
    api_admin.router,
)


def assignment_channel(settings: Settings) -> str | None:
    """The channel assignments are announced on: configured, else the first channel."""
    if settings.web.assign_channel:
        return settings.web.assign_channel
    channels = settings.alerting.channels
    return channels[0].name if channels else None


def health_of(store: TriageSiteStore) -> HealthStore | None:
    """The store's data-health numbers, if it keeps any (a full :class:`Store` does)."""
    if not isinstance(store, Store):
        return None
    try:
        return store.health()
    except NotImplementedError:
        return None


def alert_stats_of(store: TriageSiteStore) -> AlertStats | None:
    """The store's alert aggregations, if it keeps any (a full :class:`Store` does)."""
    if not isinstance(store, Store):
        return None
    try:
        return store.alert_stats()
    except NotImplementedError:
        return None


def incidents_of(
    store: TriageSiteStore, triage: TriageStore, clock: Callable[[], datetime]
) -> IncidentActions | None:
    """Incident actions over the store's incidents, if it keeps any (a full :class:`Store`)."""
    if not isinstance(store, Store):
        return None
    try:
        return IncidentActions(store.incidents(), store, triage, clock=clock)
    except NotImplementedError:
        return None


def create_app(
    store: TriageSiteStore,
    triage_store: TriageStore,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    passwords: Passwords | None = None,
    rule_ids: Callable[[], Sequence[str]] | None = None,
    health: HealthStore | None = None,
    assets: AssetSource | None = None,
) -> FastAPI:
    """The triage app over ``store`` (alerts, events) and ``triage_store`` (users, history).

    ``clock``, ``passwords`` (a cheaper hasher, or another pool) and ``rule_ids`` are seams
    for tests; by default rule ids for the overview are read from
    ``settings.detection.rules_dir``. Data health is read from ``health``, by default the
    store's own numbers. ``assets`` gives the current asset inventory (the runtime's, which
    reloads on change); by default ``settings.assets`` is read once here.
    """
    web = settings.web
    passwords = passwords or Passwords(pool=HashingPool.from_config(web.login))
    rules = rule_ids or RuleIndex(settings.detection.rules_dir)
    app = FastAPI(
        title="Canh Gác triage API",
        version="1",
        openapi_url=None,  # served by api_admin.openapi, which requires a login
        docs_url=None,
        redoc_url=None,
    )
    actions = TriageActions(
        store, triage_store, assign_channel=assignment_channel(settings), clock=clock
    )
    stats = alert_stats_of(store)
    app.state.triage = TriageContext(
        store=store,
        triage=triage_store,
        web=web,
        accounts=Accounts(
            triage_store,
            passwords,
            clock,
            login=web.login,
            initial_password_file=Path(settings.data_dir) / INITIAL_PASSWORD_FILE,
        ),
        sessions=Sessions(triage_store, web, clock),
        tokens=Tokens(triage_store, clock, web.tokens),
        actions=actions,
        exceptions=ExceptionService(store, triage_store, actions, settings.detection, clock),
        pages=Pages(),
        clock=clock,
        overview=lambda: build_overview(
            store, triage_store, clock(), rules, sample_top_rules=stats is None
        ),
        sources=DataSources(health or health_of(store), store, settings.health, clock),
        rule_catalog=RuleCatalog(settings.detection.rules_dir, settings.detection.default_interval),
        alert_stats=stats,
        assets=assets or AssetInventory(settings.assets).current,
        incidents=incidents_of(store, triage_store, clock),
        escalation=IncidentEscalation.from_settings(settings),
    )
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageMiddleware, secure_cookies=web.secure_cookies)
    # Added last, so outermost: every response below it gets the headers.
    app.add_middleware(SecurityHeadersMiddleware, tls=web.secure_cookies)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented override
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description="The triage API: what the web UI does, for integrations. "
            "Authenticate with `Authorization: Bearer <token>` (tokens are scoped to a role), "
            "or with the browser session plus an `X-CSRF-Token` header on changes. "
            'Errors answer `{"error": {"code": ..., "message": ...}}`.',
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def serve(settings: Settings) -> None:
    """Run the web UI and API until interrupted (``canhgac web``)."""
    import uvicorn

    from alerting.triage.stores import build_triage_store
    from canhgac.store.registry import build_store

    assets = AssetInventory(settings.assets)  # first: a broken inventory opens nothing
    store = build_store(settings.store)
    triage_store = build_triage_store(settings)
    assets.start()
    try:
        app = create_app(store, triage_store, settings, assets=assets.current)
        uvicorn.run(
            app,
            host=settings.web.host,
            port=settings.web.port,
            server_header=False,
            log_level="info",
        )
    finally:
        assets.stop()
        triage_store.close()
        store.close()
