"""Server time of the triage pages with 100,000 alerts in the SQLite store.

Seeds a temporary SQLite database with realistic alerts (40 rules, 14 hosts, 400 source
addresses, 30 days, 70 % closed) and their events, logs an analyst in, then times each page
in-process through FastAPI's TestClient (routing, store queries, rendering; no network) and
prints p50/p95 per page side by side. The goal is p95 < 300 ms.

    .venv/bin/python bench/bench_triage.py [--alerts 100000] [--requests 40]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from alerting.triage.app import create_app
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import Passwords
from canhgac.config import Settings
from canhgac.models import Alert, AlertStatus, Event, Severity
from canhgac.store.sqlite import SQLiteStore
from canhgac.store.sqlite_triage import SQLiteTriageStore
from canhgac.store.triage import Role
from canhgac.timeutil import to_iso, utcnow

TARGET_P95_MS = 300.0
PASSWORD = "bench password 2026"
USERS = ["nguyễn.văn.an", "trần.thị.bình", "lê.hoàng.cường", "phạm.minh.đức", "root", "admin"]
HOSTS = [f"hn-portal-{n:02d}" for n in range(12)] + ["ubnd-hoankiem-ecab", "sở-tttt-fw01"]
RULES = [(f"rule-{n:02d}", f"Quy tắc phát hiện số {n}: đăng nhập bất thường") for n in range(40)]
SEVERITIES = list(Severity)
STATUSES = [AlertStatus.closed] * 7 + [AlertStatus.acknowledged] * 2 + [AlertStatus.new]


def seed(store: SQLiteStore, count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    now = utcnow()
    addresses = [f"113.160.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(400)]
    events: list[Event] = []
    alerts: list[Alert] = []
    for n in range(count):
        seen = now - timedelta(seconds=rng.randrange(30 * 86_400))
        host, user, ip = rng.choice(HOSTS), rng.choice(USERS), rng.choice(addresses)
        rule_id, title = rng.choice(RULES)
        fields = {
            "@timestamp": to_iso(seen),
            "event.original": f"<38>sshd[{n}]: Failed password for {user} from {ip} port 22 ssh2",
            "event.dataset": "system.auth",
            "host.name": host,
            "user.name": user,
            "source.ip": ip,
            "message": f"Failed password for {user} from {ip}",
        }
        event_ids = []
        if n % 5 == 0:  # one alert in five keeps its events (the alert page reads them)
            events.append(Event(f"ev-{n}", fields))
            event_ids.append(f"ev-{n}")
        stamp = to_iso(seen)
        alerts.append(
            Alert(
                id=f"alert-{n:06d}",
                rule_id=rule_id,
                rule_title=title,
                rule_description="Nhiều lần đăng nhập SSH thất bại từ một địa chỉ.",
                severity=rng.choice(SEVERITIES),
                tags=["attack.credential_access", "attack.t1110.001"],
                references=["https://attack.mitre.org/techniques/T1110/001/"],
                first_seen=stamp,
                last_seen=stamp,
                event_ids=event_ids,
                snapshot={k: v for k, v in fields.items() if k != "event.original"},
                status=rng.choice(STATUSES),
                created_at=stamp,
                updated_at=stamp,
            )
        )
    for start in range(0, len(events), 5000):
        store.write_events(events[start : start + 5000])
    for alert in alerts:
        store.record_alert(alert, alert.event_ids)
    return [alert.id for alert in alerts if alert.event_ids]


def timed(client: TestClient, url: str, requests: int) -> list[float]:
    for _ in range(3):  # warm up caches and the connection
        client.get(url)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url} answered {answer.status_code}")
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "canhgac.db"
        store = SQLiteStore(db, synchronous="OFF")
        triage = SQLiteTriageStore(db)
        started = time.perf_counter()
        with_events = seed(store, args.alerts)
        print(f"seeded {args.alerts:,} alerts in {time.perf_counter() - started:.1f} s")
        passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        Accounts(triage, passwords).create_user("analyst", PASSWORD, Role.analyst)
        settings = Settings(store={"type": "sqlite", "path": str(db)}, data_dir=tmp)
        app = create_app(store, triage, settings, passwords=passwords, rule_ids=lambda: [])
        rng = random.Random(3)
        pages = {
            "queue, first page (newest, 50 rows)": "/alerts",
            "queue, status=new & severity=high": "/alerts?status=new&severity=high",
            "queue, host=hn-portal-03": "/alerts?host=hn-portal-03",
            "queue, user & status=acknowledged": "/alerts?user=root&status=acknowledged",
            "queue, last 24 h, sorted by severity": "/alerts?since="
            + to_iso(utcnow() - timedelta(days=1))
            + "&sort=severity",
            "queue, free text 'đăng nhập' (scan)": "/alerts?q=%C4%91%C4%83ng+nh%E1%BA%ADp",
            "queue refresh fragment, host filter": "/alerts/rows?host=hn-portal-03",
            "API GET /api/v1/alerts?host=…": "/api/v1/alerts?host=hn-portal-03",
        }
        with TestClient(app) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token
            client.post(
                "/login",
                data={"username": "analyst", "password": PASSWORD, "csrf_token": token.group(1)},
            )
            results = {name: timed(client, url, args.requests) for name, url in pages.items()}
            alert_samples = []
            for alert_id in rng.sample(with_events, args.requests):
                alert_samples += timed(client, f"/alerts/{alert_id}", 1)
            results["alert page (events, timeline, history)"] = alert_samples
        triage.close()
        store.close()

    width = max(len(name) for name in results)
    print(f"\n{'page':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  goal p95 < 300")
    for name, samples in results.items():
        p95 = percentile(samples, 0.95)
        verdict = "ok" if p95 < TARGET_P95_MS else "SLOW"
        print(
            f"{name:<{width}}  {statistics.median(samples):8.1f}  {p95:8.1f}"
            f"  {max(samples):8.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
