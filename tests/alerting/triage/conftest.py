"""A triage app over real SQLite stores in a temporary folder, with users of every role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerting.health.monitor import HealthMonitor
from alerting.triage.app import create_app
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import Passwords
from canhgac.config import DetectionConfig, HealthConfig, Settings, WebConfig
from canhgac.health.model import SourceKey
from canhgac.models import Alert, DeadLetter, Event, Severity
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.sqlite.triage import SQLiteTriageStore
from canhgac.store.triage import Role
from canhgac.timeutil import to_iso, utcnow
from tests.support.health_scenario import HOUR, MINUTE, H
from tests.support.health_scenario import Clock as ScenarioClock
from tests.support.health_scenario import load as load_health_scenario

PASSWORD = "mật khẩu đủ dài 2026"
#: username -> role; "analyst2" is a second analyst to assign alerts to.
USERS: dict[str, Role] = {
    "analyst": Role.analyst,
    "analyst2": Role.analyst,
    "author": Role.rule_author,
    "ops": Role.ops,
    "admin": Role.admin,
}
#: ``client_for(username)`` -> (a logged-in client, its CSRF token); None: anonymous.
ClientFor = Callable[[str | None], tuple[TestClient, str]]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def cheap_passwords() -> Passwords:
    # argon2id with minimal cost: the tests exercise logic, not the hash's strength.
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class Clock:
    """The app's clock; starts at the real time (events are ingested at the real time)."""

    now: datetime = field(default_factory=lambda: utcnow().replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def make_event(event_id: str, timestamp: datetime, **fields: Any) -> Event:
    doc: dict[str, Any] = {
        "@timestamp": to_iso(timestamp),
        "event.original": f"raw line of {event_id}",
        "event.dataset": "system.auth",
        "event.module": "system",
        "event.kind": "event",
    }
    doc.update(fields)
    return Event(event_id, doc)


def make_alert(
    alert_id: str,
    seen: datetime,
    *,
    rule_id: str = "rule-ssh-brute",
    title: str = "SSH brute force",
    severity: Severity = Severity.high,
    event_ids: list[str] | None = None,
    snapshot: dict[str, Any] | None = None,
    created: datetime | None = None,
    **extra: Any,
) -> Alert:
    stamp = to_iso(created or seen)
    return Alert(
        id=alert_id,
        rule_id=rule_id,
        rule_title=title,
        severity=severity,
        first_seen=to_iso(seen),
        last_seen=to_iso(seen),
        event_ids=event_ids or [],
        snapshot=snapshot or {},
        created_at=stamp,
        updated_at=stamp,
        **extra,
    )


@dataclass
class TriageEnv:
    store: SQLiteStore
    triage: SQLiteTriageStore
    clock: Clock
    settings: Settings
    passwords: Passwords
    tmp_path: Path
    apps: list[FastAPI] = field(default_factory=list)

    def app(self, **web: Any) -> FastAPI:
        settings = self.settings
        if web:
            settings = settings.model_copy(update={"web": settings.web.model_copy(update=web)})
        app = create_app(
            self.store,
            self.triage,
            settings,
            clock=self.clock,
            passwords=self.passwords,
            rule_ids=lambda: ["rule-ssh-brute", "rule-never-run"],
        )
        self.apps.append(app)
        return app

    def add_user(self, username: str, role: Role = Role.analyst, display_name: str = "") -> None:
        Accounts(self.triage, self.passwords).create_user(
            username, PASSWORD, role, display_name=display_name
        )

    def add_alert(self, alert: Alert, events: list[Event] | None = None) -> Alert:
        if events:
            self.store.write_events(events)
        return self.store.record_alert(alert, alert.event_ids).alert


@pytest.fixture
def env(tmp_path: Path) -> Iterator[TriageEnv]:
    db = tmp_path / "canhgac.db"
    store = SQLiteStore(db, synchronous="OFF")
    triage = SQLiteTriageStore(db)
    settings = Settings(
        data_dir=str(tmp_path),
        store={"type": "sqlite", "path": str(db)},
        web=WebConfig(),
        detection={"rules_dir": str(tmp_path / "rules")},
    )
    passwords = cheap_passwords()
    accounts = Accounts(triage, passwords)
    for username, role in USERS.items():
        accounts.create_user(username, PASSWORD, role, display_name=f"Người dùng {username}")
    yield TriageEnv(store, triage, Clock(), settings, passwords, tmp_path)
    triage.close()
    store.close()


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the form; returns the session's CSRF token."""
    form = client.get("/login")
    match = CSRF_FIELD.search(form.text)
    assert match, "the login form has a CSRF field"
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    page = client.get("/overview")
    match = CSRF_FIELD.search(page.text)
    assert match, "a logged-in page carries the CSRF token"
    return match.group(1)


@pytest.fixture
def client_for(env: TriageEnv) -> Iterator[Callable[[str | None], tuple[TestClient, str]]]:
    """``client_for(username)``: a client logged in as that user (None: anonymous)."""
    clients: list[TestClient] = []

    def make(username: str | None) -> tuple[TestClient, str]:
        client = TestClient(env.app(), follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client, (login(client, username) if username else "")

    yield make
    for client in clients:
        client.__exit__(None, None, None)


# --- a rule and its alerts, for exceptions -----------------------------------------------------
REPO = Path(__file__).resolve().parents[3]
RULE = "7f0c1a52-3b8e-4d6a-9a55-0a1b2c3d4e5f"
RULE_TEXT = f"""\
title: SSH password failed
id: {RULE}
status: test
level: low
logsource:
  product: linux
  service: auth
detection:
  selection:
    event.action: ssh_login
    event.outcome: failure
  condition: selection
"""
SCANNER = "10.20.99.5"


def scanner_rules(folder: Path) -> DetectionConfig:
    """A rules folder holding :data:`RULE`, with the project's ECS pipeline."""
    folder.mkdir()
    (folder / "ssh_failed.yml").write_text(RULE_TEXT, encoding="utf-8")
    return DetectionConfig(
        rules_dir=str(folder), pipeline=[str(REPO / "rules" / "pipelines" / "ecs.yml")]
    )


def seed_scanner_alerts(store: Store, now: datetime) -> None:
    """Three alerts from the SOC's scanner, one from elsewhere, one whose host is ``*``."""
    seen = now - timedelta(hours=1)
    sources = [
        ("scan1", "web-01", "svc_scan", SCANNER),
        ("scan2", "web-02", "svc_scan", SCANNER),
        ("scan3", "web-01", "svc_scan", SCANNER),
        ("other", "web-01", "root", "203.0.113.9"),
        ("star", "*", "root", "203.0.113.9"),
    ]
    for name, host, user, ip in sources:
        fields = {
            "host.name": host,
            "user.name": user,
            "source.ip": ip,
            "event.action": "ssh_login",
            "event.outcome": "failure",
        }
        event = make_event(f"e-{name}", seen, **fields)
        snapshot = {k: v for k, v in fields.items() if not k.startswith("event.")}
        store.write_events([event])
        alert = make_alert(name, seen, rule_id=RULE, event_ids=[event.id], snapshot=snapshot)
        store.record_alert(alert, alert.event_ids)


@pytest.fixture
def seeded(env: TriageEnv) -> TriageEnv:
    """The env with :func:`scanner_rules` as its detection rules and the scanner's alerts."""
    detection = scanner_rules(env.tmp_path / "rules")
    env.settings = env.settings.model_copy(update={"detection": detection})
    seed_scanner_alerts(env.store, env.clock.now)
    return env


# --- data health: the four-source scenario, judged an hour after hour H ----------------------
HEALTH_JUDGED_AT = H + HOUR + 3 * MINUTE
#: Attacker-controlled text in every part of a source key, its lines and its dead letters.
HOSTILE_SOURCE = (
    "<script>window.__pwned='src'</script>\"><img src=x onerror=\"window.__pwned='img'\">"
    " ⁞ nguồn\u202egnp.exe ⁞ {{ 7*7 }}"
)
HOSTILE_LINE = "</pre></td><svg onload=window.__pwned='line'> Phiên lạ \u202e của nguyễn"
HOSTILE_KEY = SourceKey(source=HOSTILE_SOURCE, host=HOSTILE_SOURCE, dataset=HOSTILE_SOURCE)
#: The scenario's source keys as the data sources page lists them, worst first: the dead
#: letters of db01's sender, then not understood, sequence gaps, silent, clock skew, healthy.
SCENARIO_KEYS = [
    SourceKey(source="syslog-tcp", host="10.0.0.12"),
    SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth"),
    SourceKey(source="syslog-tcp", host="ecab-log01", dataset="system.auth"),
    SourceKey(source="syslog-tcp", host="ecab-mail01", dataset="system.auth"),
    SourceKey(source="syslog-udp", host="ecab-app01", dataset="system.auth"),
    SourceKey(source="syslog-tcp", host="ecab-web01", dataset="system.auth"),
]


def seed_hostile_source(store: SQLiteStore, clock: ScenarioClock) -> None:
    """At the end of hour H (after the scenario: the store's ingest clock only moves forward):
    three lines from a source, host and dataset named by an attacker, none understood, and 20
    of its records refused as dead letters with hostile raw bytes."""
    for index in range(3):
        clock.now = H + 59 * MINUTE + timedelta(seconds=40 + 5 * index)
        fields = {
            "canhgac.source": HOSTILE_SOURCE,
            "host.name": HOSTILE_SOURCE,
            "event.dataset": HOSTILE_SOURCE,
            "event.module": "raw",
            "event.original": f"{HOSTILE_LINE} #{index}",
        }
        stamp = clock.now - timedelta(seconds=1)
        store.write_events([make_event(f"hostile-{index}", stamp, **fields)])
    clock.now = H + 30 * MINUTE
    store.write_dead_letters(
        [
            DeadLetter(
                id=f"hostile-dl-{index}",
                source=HOSTILE_SOURCE,
                reason=HOSTILE_SOURCE,
                raw=HOSTILE_LINE.encode() + b"\x00\xff\xfe",
                received_at=to_iso(H + (30 + index) * MINUTE),
                context={"peer": "10.6.6.6:514"},
            )
            for index in range(20)
        ]
    )


def health_store(path: Path, *, hostile: bool = False) -> SQLiteStore:
    """A store holding the scenario (plus the hostile source), with the health job run once
    at :data:`HEALTH_JUDGED_AT`: 24 hours computed, health alerts raised."""
    clock = ScenarioClock(H - 3 * HOUR)
    store = SQLiteStore(path, synchronous="OFF", now=clock.iso)
    load_health_scenario(store, clock)
    if hostile:
        seed_hostile_source(store, clock)
    clock.now = HEALTH_JUDGED_AT
    run = HealthMonitor(store, HealthConfig(), clock=clock).run_once()
    assert run is not None and len(run.computed_hours) == 24
    return store


def _with_health(env: TriageEnv, *, hostile: bool) -> Iterator[TriageEnv]:
    store = health_store(env.tmp_path / "health.db", hostile=hostile)
    env.store = store
    env.clock.now = HEALTH_JUDGED_AT
    yield env
    store.close()


@pytest.fixture
def health_env(env: TriageEnv) -> Iterator[TriageEnv]:
    """The env over a store holding the data-health scenario, its clock at the judgement."""
    yield from _with_health(env, hostile=False)


@pytest.fixture
def hostile_health_env(env: TriageEnv) -> Iterator[TriageEnv]:
    """:func:`health_env` plus a source whose names, lines and dead letters are hostile."""
    yield from _with_health(env, hostile=True)
