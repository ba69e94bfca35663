"""The composition root: builds the roles a configuration asks for and runs them together.

collect: sources -> transport sender; index: transport receiver -> indexer -> store;
detect: rules -> scheduler -> alerts -> notification dispatcher. Stopping goes the same way
round, so batches in flight are written before the store closes.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from alerting.detect.detector import build_scheduler, load_detection
from alerting.detect.run import collect_start
from alerting.incidents.job import GroupingJob
from canhgac.assets.inventory import AssetInventory
from canhgac.cli import health, notifications, telemetry
from canhgac.cli.demo import DemoFeeder, targets_from_settings
from canhgac.config import FileSourceConfig, Settings
from canhgac.errors import ConfigError
from canhgac.metrics import Metrics, MetricsServer
from canhgac.store.base import Store
from canhgac.store.lease_holders import default_owner
from canhgac.store.registry import build_store
from canhgac.store.triage import TriageStore
from canhgac.timeutil import utcnow
from ingest.indexer import Indexer
from ingest.sources.registry import build as build_source
from ingest.transport.base import Receiver, Sender
from ingest.transport.registry import IN_PROCESS, RECEIVERS, SENDERS, TOPIC_SETUP

log = logging.getLogger("canhgac")

DEMO_LOG = "demo/dichvucong-access.log"


class Component(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Runtime:
    """Every running part of one process, started in flow order and stopped in reverse."""

    settings: Settings
    store: Store | None = None
    started: list[Component] = field(default_factory=list)
    feeder: DemoFeeder | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    metrics: Metrics = field(default_factory=Metrics)
    metrics_server: MetricsServer | None = None
    assets: AssetInventory | None = None

    def start(self) -> None:
        settings = with_demo_source(self.settings)
        roles: set[str] = set(settings.roles)
        # A collector alone never touches the store: city hosts get no store credentials.
        self.store = build_store(settings.store) if roles - {"collect"} else None
        store = telemetry.instrumented(self.store, self.metrics) if self.store else None
        telemetry.mark_roles(self.metrics, sorted(roles))
        telemetry.watch_process(self.metrics)
        sender, receiver = _transport(settings, roles)
        # Held before the sources start: the rules, loaded after them, search from here.
        since: datetime | None = None
        if store is not None and {"collect", "detect"} <= roles:
            since = collect_start.hold(store, utcnow())
        try:
            if "index" in roles:
                assert receiver is not None and store is not None
                indexer = Indexer.from_config(receiver, store, settings.indexer)
                self._start(indexer)
                telemetry.watch_indexer(self.metrics, indexer, receiver)
            if "collect" in roles:
                assert sender is not None
                sender = telemetry.CountingSender(sender, self.metrics)
                state_dir = Path(settings.data_dir) / "checkpoints"
                for source_config in settings.sources:
                    source = build_source(source_config, sender, state_dir)
                    self._start(source)
                    telemetry.watch_source(self.metrics, source)
            if "detect" in roles:
                assert store is not None
                self._start_detection(settings, store, since)
            if "web" in roles and settings.web.enabled:
                assert store is not None
                self._start_web(settings, store)
            if demo_enabled(self.settings) and "collect" in roles:
                self.feeder = DemoFeeder(
                    targets_from_settings(settings, file_path=_demo_log(settings)),
                    rate=settings.demo.rate,
                )
                self.feeder.start()
                log.info(
                    "demo stream on: city logs with planted attacks, %.0f/s", settings.demo.rate
                )
            if settings.metrics.enabled:
                self.metrics_server = MetricsServer(
                    self.metrics, settings.metrics.host, settings.metrics.port, roles
                )
                self._start(self.metrics_server)
        except BaseException:
            self.stop()
            raise
        log.info(
            "canhgac running: roles %s, store %s", ", ".join(sorted(roles)), settings.store.type
        )

    def _start(self, component: Component) -> None:
        component.start()
        self.started.append(component)

    def _start_detection(self, settings: Settings, store: Store, since: datetime | None) -> None:
        compiled = load_detection(settings.detection, store.query_language)
        for error in compiled.errors:
            log.error("rule refused: %s", error)
        for warning in compiled.warnings:
            log.warning("%s", warning)
        log.info(
            "detection: %d rules loaded, %d refused", len(compiled.rules), len(compiled.errors)
        )
        assets = self._asset_inventory(settings)
        scheduler = build_scheduler(
            compiled,
            store,
            settings.detection,
            settings.alerting,
            assets=assets.current,
            collecting_since=since,
        )
        self._start(scheduler)
        telemetry.watch_scheduler(self.metrics, scheduler)
        if settings.health.enabled:
            monitor = health.build_monitor(settings, store, scheduler)
            self._start(monitor)
            health.watch_health(self.metrics, monitor)
        # Every detector process starts one; the lease lets one at a time send.
        dispatcher = notifications.build_dispatcher(settings, store)
        self._start(dispatcher)
        notifications.watch_notifications(self.metrics, dispatcher.stats)
        if settings.incidents.auto_group:
            self._start(GroupingJob(store, settings.incidents, owner=default_owner()))

    def _asset_inventory(self, settings: Settings) -> AssetInventory:
        """The one inventory of this process (detection and web share it), started once."""
        if self.assets is None:
            self.assets = AssetInventory(settings.assets)
            self._start(self.assets)
            telemetry.watch_assets(self.metrics, self.assets)
        return self.assets

    def _start_web(self, settings: Settings, store: Store) -> None:
        from alerting.triage.app import create_app
        from alerting.triage.server import WebServer
        from alerting.triage.stores import build_triage_store

        triage = build_triage_store(settings)
        self.closers.append(triage.close)
        ensure_first_admin(triage, Path(settings.data_dir))
        web = settings.web
        assets = self._asset_inventory(settings).current
        app = create_app(store, triage, settings, assets=assets)
        server = WebServer(app, web.host, web.port, web.tls)
        self._start(server)
        log.info("web UI on %s/", server.url)

    def stop(self) -> None:
        if self.feeder is not None:
            self.feeder.stop()
            self.feeder = None
        while self.started:
            component = self.started.pop()  # reverse order: sources before the indexer
            try:
                component.stop()
            except Exception:  # keep stopping the rest
                log.exception("stopping %s failed", type(component).__name__)
        while self.closers:
            self.closers.pop()()
        if self.store is not None:
            self.store.close()
            self.store = None
        self.assets = None
        self.stopped.set()


def ensure_first_admin(triage: TriageStore, data_dir: Path) -> None:
    """On a fresh install, create an ``admin`` account so someone can log in.

    Its random password goes to a file only the service user can read (0600), never to the
    log; the account must change it at the first login, and the file is deleted then.
    """
    if triage.list_users():
        return
    from alerting.triage import create_user
    from alerting.triage.app import INITIAL_PASSWORD_FILE

    password = secrets.token_urlsafe(18)
    create_user(
        triage, "admin", password, "admin", display_name="Quản trị", must_change_password=True
    )
    path = data_dir / INITIAL_PASSWORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left by an earlier install keeps its mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")
    log.warning("created the first web account 'admin'; its password is in %s", path)


def demo_enabled(settings: Settings) -> bool:
    if settings.demo.mode == "auto":
        return not any(isinstance(s, FileSourceConfig) for s in settings.sources)
    return settings.demo.mode == "on"


def with_demo_source(settings: Settings) -> Settings:
    """In demo mode, tail the demo's access log like any city web server's."""
    if not demo_enabled(settings):
        return settings
    demo_source = FileSourceConfig(name="demo-portal", path=_demo_log(settings), parser="nginx")
    Path(demo_source.path).parent.mkdir(parents=True, exist_ok=True)
    Path(demo_source.path).touch()
    return settings.model_copy(update={"sources": [*settings.sources, demo_source]})


def _demo_log(settings: Settings) -> str:
    return str(Path(settings.data_dir) / DEMO_LOG)


def demo_log_path(settings: Settings) -> str | None:
    """The access log an instance run with ``settings`` tails for the demo, if any."""
    return _demo_log(settings) if demo_enabled(settings) else None


def _transport(settings: Settings, roles: set[str]) -> tuple[Sender | None, Receiver | None]:
    kind = settings.transport.type
    if kind in IN_PROCESS:
        if {"collect", "index"} - roles and roles & {"collect", "index"}:
            raise ConfigError(
                f"transport '{kind}' is in-process: 'collect' and 'index' must run together"
            )
        return IN_PROCESS.get(kind)(settings.transport)
    if roles & {"collect", "index"}:
        TOPIC_SETUP.get(kind)(settings.transport)
    sender = SENDERS.get(kind)(settings.transport) if "collect" in roles else None
    receiver = RECEIVERS.get(kind)(settings.transport) if "index" in roles else None
    return sender, receiver
