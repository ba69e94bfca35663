"""Server time of the triage pages with 100,000 alerts and 1,000,000 events, on the SQLite and
Elasticsearch stores.

Builds one data set of realistic alerts (40 rules, 14 hosts, 400 source addresses, 30 days,
70 % closed; one in five keeps its events) and of city traffic around them (web access, SSH
logins, firewall denies over the same 30 days, ``--events``), loads it into each store, logs
an analyst in, then times each page in-process through FastAPI's TestClient (routing, store
queries, rendering; no network between browser and app) and prints p50/p95 per page and store
side by side. The goals: p95 < 300 ms for the queue and alert pages, < 500 ms for the
analysts' workspace (overview, event search over 24 h with free text, entity pages).

On Elasticsearch the event search also runs with the trigram prefilter on ``event.original``
(canhgac/store/elasticsearch/grams.py) and without it (the same queries with every trigram
guard removed, leaving the exact doc-values check alone), side by side: the search service's
own time (page, histogram, top-values sample), without the page around it.

With Elasticsearch the triage store (users, sessions, history) is the Elasticsearch one too,
as a deployment with that store runs it, so every request's session lookup is a network call.
Alerts are bulk-loaded straight into the alerts index (``record_alert`` does a read, a count
and a conditional write per alert: right for detection, hours for a bench set-up).

    source var/services/services.env   # CANHGAC_TEST_ES_URL, from deploy/services/up
    .venv/bin/python bench/bench_triage.py [--alerts 100000] [--events 1000000] [--requests 40]
        [--stores sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from alerting.triage.app import create_app
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import Passwords
from alerting.triage.hunt_service import HuntService
from canhgac.config import ElasticsearchStoreConfig, Settings, SQLiteStoreConfig
from canhgac.models import Alert, AlertStatus, Event, Severity
from canhgac.store.base import Store
from canhgac.store.dialect import GRAMS_MARKER
from canhgac.store.triage import Role, TriageStore
from canhgac.timeutil import to_iso, utcnow

TARGET_P95_MS = 300.0
WORKSPACE_P95_MS = 500.0
PASSWORD = "bench password 2026"
USERS = ["nguyễn.văn.an", "trần.thị.bình", "lê.hoàng.cường", "phạm.minh.đức", "root", "admin"]
HOSTS = [f"hn-portal-{n:02d}" for n in range(12)] + ["ubnd-hoankiem-ecab", "sở-tttt-fw01"]
RULES = [(f"rule-{n:02d}", f"Quy tắc phát hiện số {n}: đăng nhập bất thường") for n in range(40)]
SEVERITIES = list(Severity)
STATUSES = [AlertStatus.closed] * 7 + [AlertStatus.acknowledged] * 2 + [AlertStatus.new]
BATCH = 5000


@dataclass(frozen=True, slots=True)
class DataSet:
    events: list[Event]
    alerts: list[Alert]
    traffic: int = 0  # events of city traffic around the alerts' own

    @property
    def with_events(self) -> list[str]:
        return [alert.id for alert in self.alerts if alert.event_ids]


def make_data(count: int, traffic: int = 0, seed: int = 11) -> DataSet:
    rng = random.Random(seed)
    now = utcnow()
    addresses = [f"113.160.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(400)]
    events: list[Event] = []
    alerts: list[Alert] = []
    for n in range(count):
        seen = now - timedelta(seconds=rng.randrange(30 * 86_400))
        host, user, ip = rng.choice(HOSTS), rng.choice(USERS), rng.choice(addresses)
        rule_id, title = rng.choice(RULES)
        stamp = to_iso(seen)
        fields = {
            "@timestamp": stamp,
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
    return DataSet(events, alerts, traffic)


def traffic(count: int, seed: int = 13) -> Iterator[list[Event]]:
    """``count`` events of city traffic over the last 30 days, in batches, in the order a
    pipeline stores them: by time, a minute or so out of order at most."""
    rng = random.Random(seed)
    start = utcnow() - timedelta(days=30)
    step = 30 * 86_400 / max(count, 1)
    batch: list[Event] = []
    for n in range(count):
        stamp = to_iso(start + timedelta(seconds=n * step + rng.uniform(-60, 60)))
        host, user = rng.choice(HOSTS), rng.choice(USERS)
        ip = f"10.{rng.randrange(8)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        kind = n % 3
        if kind == 0:
            line = f'{ip} - - "GET /dich-vu-cong/ho-so/{n}?ten=Nguyễn HTTP/1.1" 200 5120'
            fields = {"event.dataset": "nginx.access", "url.original": f"/dich-vu-cong/ho-so/{n}"}
        elif kind == 1:
            line = f"sshd[{n}]: Accepted publickey for {user} from {ip} port 22 ssh2"
            fields = {"event.dataset": "system.auth", "user.name": user}
        else:
            line = f"deny tcp {ip}:{rng.randrange(1024, 65535)} -> 172.16.0.10:445"
            fields = {"event.dataset": "fortinet.firewall", "destination.port": 445}
        fields |= {"@timestamp": stamp, "event.original": line, "host.name": host}
        batch.append(Event(f"tr-{n}", fields | {"source.ip": ip}))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write_events(store: Store, events: list[Event]) -> None:
    for start in range(0, len(events), BATCH):
        store.write_events(events[start : start + BATCH])


@dataclass(frozen=True, slots=True)
class Backend:
    """One store under test: the stores, the settings that select them."""

    store: Store
    triage: TriageStore
    settings: Settings


@contextmanager
def sqlite_backend(data: DataSet, tmp: str) -> Iterator[Backend]:
    from canhgac.store.sqlite.store import SQLiteStore
    from canhgac.store.sqlite.triage import SQLiteTriageStore

    db = Path(tmp) / "canhgac.db"
    store = SQLiteStore(db, synchronous="OFF")
    triage = SQLiteTriageStore(db)
    try:
        write_events(store, data.events)
        for batch in traffic(data.traffic):
            store.write_events(batch)
        for alert in data.alerts:
            store.record_alert(alert, alert.event_ids)
        settings = Settings(store=SQLiteStoreConfig(path=str(db)), data_dir=tmp)
        yield Backend(store, triage, settings)
    finally:
        triage.close()
        store.close()


@contextmanager
def elasticsearch_backend(data: DataSet, tmp: str) -> Iterator[Backend]:
    from elasticsearch import Elasticsearch

    from canhgac.store.elasticsearch.documents import alert_doc, doc_id, loose_json
    from canhgac.store.elasticsearch.store import ElasticsearchStore
    from canhgac.store.elasticsearch.triage import ElasticsearchTriageStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        raise SystemExit(
            "CANHGAC_TEST_ES_URL is not set: run deploy/services/up elasticsearch and source "
            "var/services/services.env, or pass --stores sqlite"
        )
    config = ElasticsearchStoreConfig(hosts=[url], index_prefix=f"bench-{uuid.uuid4().hex[:8]}")
    store = ElasticsearchStore(config)
    triage = ElasticsearchTriageStore(config)
    client = Elasticsearch([url], request_timeout=120)
    try:
        write_events(store, data.events)
        for batch in traffic(data.traffic):
            store.write_events(batch)
        index = store.names.alerts
        for start in range(0, len(data.alerts), BATCH):
            lines: list[Any] = []
            for alert in data.alerts[start : start + BATCH]:
                lines.append(loose_json({"index": {"_index": index, "_id": doc_id(alert.id)}}))
                lines.append(loose_json(alert_doc(alert)))
            answer = client.bulk(operations=lines, filter_path="errors")
            if answer.body.get("errors"):
                raise SystemExit("bulk load of alerts reported errors")
        client.indices.refresh(index=index)
        client.indices.forcemerge(index=index, max_num_segments=1)
        settings = Settings(store=config, data_dir=tmp)
        yield Backend(store, triage, settings)
    finally:
        store.delete_indices()
        triage.delete_indices()
        client.close()
        triage.close()
        store.close()


BACKENDS: dict[str, Callable[[DataSet, str], AbstractContextManager[Backend]]] = {
    "sqlite": sqlite_backend,
    "elasticsearch": elasticsearch_backend,
}


def pages() -> dict[str, str]:
    since = to_iso(utcnow() - timedelta(days=1))
    return {
        "queue, first page (newest, 50 rows)": "/alerts",
        "queue, status=new & severity=high": "/alerts?status=new&severity=high",
        "queue, host=hn-portal-03": "/alerts?host=hn-portal-03",
        "queue, user & status=acknowledged": "/alerts?user=root&status=acknowledged",
        "queue, last 24 h, sorted by severity": f"/alerts?since={since}&sort=severity",
        "queue, free text 'đăng nhập' (scan)": "/alerts?q=%C4%91%C4%83ng+nh%E1%BA%ADp",
        "queue refresh fragment, host filter": "/alerts/rows?host=hn-portal-03",
        "API GET /api/v1/alerts?host=…": "/api/v1/alerts?host=hn-portal-03",
    }


def workspace_pages() -> dict[str, str]:
    return {
        "overview (charts, top lists, health)": "/overview",
        "search 24 h, free text 'Failed password'": "/search?q=%22Failed+password%22",
        "search 24 h, user.name:root AND NOT …": "/search?q=user.name%3Aroot+AND+NOT+host.name"
        "%3Ahn-portal-01",
        "entity page, host (7 d)": "/entities/host?value=hn-portal-03",
        "entity page, user (7 d)": "/entities/user?value=root",
        "entity page, IP (7 d)": "/entities/ip?value=10.1.2.3",
    }


ALERT_PAGE = "alert page (events, timeline, history)"
#: Free-text searches over ``event.original`` (what the trigram prefilter serves): name ->
#: (query, days back).
PREFILTER_SEARCHES = {
    "'Failed password', 24 h": ('"Failed password"', 1),
    "'Failed password', 30 d": ('"Failed password"', 30),
    "'publickey for root', 7 d": ('"publickey for root"', 7),
    "'ho-so/4242' (rare), 30 d": ('"ho-so/4242"', 30),
    "'172.16.0.10:445' AND NOT host, 7 d": ('"172.16.0.10:445" AND NOT host.name:hn-portal-01', 7),
}
PREFILTER_PAGE = 50


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


def measure(
    backend: Backend, data: DataSet, requests: int, only: str = ""
) -> dict[str, list[float]]:
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    Accounts(backend.triage, passwords).create_user("analyst", PASSWORD, Role.analyst)
    app = create_app(
        backend.store, backend.triage, backend.settings, passwords=passwords, rule_ids=lambda: []
    )
    with TestClient(app) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        client.post(
            "/login",
            data={"username": "analyst", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        every = pages() | workspace_pages()
        results = {
            name: timed(client, url, requests) for name, url in every.items() if only in name
        }
        if only in ALERT_PAGE:
            alert_samples: list[float] = []
            for alert_id in random.Random(3).sample(data.with_events, requests):
                alert_samples += timed(client, f"/alerts/{alert_id}", 1)
            results[ALERT_PAGE] = alert_samples
    return results


def without_grams(node: Any) -> Any:
    """``node`` (query DSL) with every trigram guard of the prefilter taken out: a guarded leaf
    ``bool.filter: [guard, exact]`` becomes ``exact`` (the guard's shape is
    alerting.detect.compile.elasticsearch.grams.gram_guarded's)."""
    if isinstance(node, list):
        return [without_grams(item) for item in node]
    if not isinstance(node, dict):
        return node
    both = node.get("bool", {}).get("filter") if len(node) == 1 else None
    if isinstance(both, list) and len(both) == 2 and _is_guard(both[0]):
        return without_grams(both[1])
    return {key: without_grams(value) for key, value in node.items()}


def _is_guard(node: Any) -> bool:
    should = node.get("bool", {}).get("should") if isinstance(node, dict) else None
    unmarked = {"bool": {"must_not": [{"exists": {"field": GRAMS_MARKER}}]}}
    return isinstance(should, list) and len(should) == 2 and should[1] == unmarked


def measure_prefilter(backend: Backend, requests: int) -> dict[str, dict[str, list[float]]]:
    """The search service's time per free-text search, with and without the prefilter."""
    service = HuntService(backend.store)
    now = utcnow()
    results: dict[str, dict[str, list[float]]] = {"with trigrams": {}, "without": {}}
    for name, (text, days) in PREFILTER_SEARCHES.items():
        tree, request = service.request(text, now - timedelta(days=days), now)
        plain = replace(request, query=without_grams(request.query))
        if plain.query == request.query:
            raise SystemExit(f"{text!r} compiled without a trigram guard: nothing to compare")
        for label, variant in (("with trigrams", request), ("without", plain)):
            totals = {service.run(tree, variant, None, PREFILTER_PAGE).total for _ in range(2)}
            samples = []
            for _ in range(requests):
                start = time.perf_counter()
                service.run(tree, variant, None, PREFILTER_PAGE)
                samples.append((time.perf_counter() - start) * 1000)
            results[label][name] = samples
            results[label][name + " hits"] = [float(totals.pop())]
    return results


def report_prefilter(results: dict[str, dict[str, list[float]]]) -> None:
    width = max(len(name) for name in PREFILTER_SEARCHES)
    header = f"{'Elasticsearch event search':<{width}}  {'hits':>9}"
    for label in results:
        header += f"  {label + ' p50':>18}  {label + ' p95':>18}"
    print(f"\n{header}")
    for name in PREFILTER_SEARCHES:
        hits = int(results["with trigrams"][name + " hits"][0])
        if hits != int(results["without"][name + " hits"][0]):
            raise SystemExit(f"{name}: the prefilter changed the hits")  # it must never
        line = f"{name:<{width}}  {hits:>9,}"
        for samples in results.values():
            line += f"  {statistics.median(samples[name]):18.1f}"
            line += f"  {percentile(samples[name], 0.95):18.1f}"
        print(line)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(results: dict[str, dict[str, list[float]]]) -> None:
    goals = dict.fromkeys([*pages(), ALERT_PAGE], TARGET_P95_MS)
    goals |= dict.fromkeys(workspace_pages(), WORKSPACE_P95_MS)
    goals = {name: goal for name, goal in goals.items() if all(name in r for r in results.values())}
    if not goals:
        return  # no page timed (--pages)
    width = max(len(name) for name in goals)
    header = f"{'page':<{width}}"
    for store in results:
        header += f"  {store + ' p50':>18}  {store + ' p95':>18}"
    print(f"\n{header}  goal p95 (ms)")
    for name, goal in goals.items():
        line = f"{name:<{width}}"
        slow = False
        for samples in results.values():
            p95 = percentile(samples[name], 0.95)
            slow |= p95 >= goal
            line += f"  {statistics.median(samples[name]):18.1f}  {p95:18.1f}"
        print(f"{line}  < {goal:.0f} {'SLOW' if slow else 'ok'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000, help="city traffic events")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--stores", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument(
        "--pages",
        default="",
        help="time only the pages whose name holds this text ('prefilter': only the "
        "Elasticsearch search with and without trigrams)",
    )
    args = parser.parse_args()
    data = make_data(args.alerts, args.events)
    results: dict[str, dict[str, list[float]]] = {}
    prefilter: dict[str, dict[str, list[float]]] = {}
    for name in args.stores.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            with BACKENDS[name](data, tmp) as backend:
                took = time.perf_counter() - started
                print(
                    f"{name}: loaded {args.alerts:,} alerts and {args.events:,} events "
                    f"in {took:.1f} s",
                    flush=True,
                )
                results[name] = measure(backend, data, args.requests, args.pages)
                if name == "elasticsearch" and (not args.pages or "prefilter" in args.pages):
                    prefilter = measure_prefilter(backend, args.requests)
    report(results)
    if prefilter:
        report_prefilter(prefilter)


if __name__ == "__main__":
    main()
