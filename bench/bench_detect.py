"""How long one detection cycle takes over a large embedded store.

Stores 1,000,000 synthetic events (system.auth, nginx.access, auditd.log, windows.security,
fortinet.firewall, syslog; Vietnamese text included, a few attacks sprinkled in) in a temporary
SQLite database, loads the rule pack (``rules/`` with ``rules/pipelines/ecs.yml``; the test
fixtures if the pack is absent), then runs every rule once over a single window covering all
the events, as one scheduling tick (``--per-rule``: one rule after another, timing each), and
prints the total. Target: < 30 s for the whole cycle.

    .venv/bin/python bench/bench_detect.py [--events 1000000] [--rules-dir rules]

``--growth`` times one cycle at each of ``--sizes`` (default 0.25 M and 1 M events) and prints
the growth ratio (goal <= 4.4x, linear with 10 % slack); ``--compare-old`` also times the page
SQL of before keyset paging side by side (see bench_detect_growth.py).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.detection import window_config, window_rules

from alerting.detect.run.engine import DetectionEngine
from canhgac.config import DetectionConfig
from canhgac.models import Alert, Event, RuleRun, RuleState
from canhgac.store.base import AlertWrite
from canhgac.store.sqlite.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "alerting" / "detect" / "fixtures"
TARGET_S = 30.0
BATCH = 50_000
USERS = ["nguyễn.văn.an", "trần.thị.bình", "lê.hoàng.cường", "phạm.minh.đức", "www-data", "deploy"]
# Attacks come from a few addresses, so grouping rules fold them the way they do in production.
ATTACKERS = [f"203.0.113.{n}" for n in range(1, 21)]
HOSTS = [f"hn-portal-{n:02d}" for n in range(12)] + ["ubnd-hoankiem-ecab", "sở-tttt-fw01"]
PATHS = ["/", "/dich-vu-cong/ho-so", "/tin-tuc/thong-bao", "/static/app.js", "/api/v1/tra-cuu"]
ATTACK_PATHS = ["/../../etc/passwd", "/.env", "/index.php?id=1 union select 1,2", "/quản-trị/"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "curl/8.5.0", "sqlmap/1.8"]

Fields = dict[str, Any]


def _ip(rng: random.Random, outside: bool = False) -> str:
    first = rng.choice([113, 171, 14]) if outside else 10
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _attacker(rng: random.Random) -> str:
    return rng.choice(ATTACKERS)


def _auth(rng: random.Random, host: str, user: str) -> Fields:
    ip, port = _ip(rng), rng.randrange(1024, 65535)
    roll = rng.random()
    if roll < 0.01:
        ip, outcome, kind = _attacker(rng), "failure", "Failed"
        text = f"Failed password for {user} from {ip} port {port} ssh2"
    elif roll < 0.012:
        ip, outcome, kind = _attacker(rng), "failure", "Invalid user"
        text = f"Invalid user test{port} from {ip} port {port}"
    else:
        user = "root" if roll > 0.9995 else user
        outcome, kind = "success", "Accepted"
        text = f"Accepted publickey for {user} from {ip} port {port} ssh2"
    return {
        "event.dataset": "system.auth",
        "event.module": "system",
        "event.category": "authentication",
        "event.action": "ssh_login",
        "event.outcome": outcome,
        "process.name": "sshd",
        "process.pid": 1000 + port % 3000,
        "user.name": user,
        "source.ip": ip,
        "source.port": port,
        "system.auth.ssh.event": kind,
        "system.auth.ssh.method": "password",
        "message": text,
        "event.original": f"<38>Nov 27 10:00:00 {host} sshd[{port}]: {text}",
    }


def _nginx(rng: random.Random, host: str, user: str) -> Fields:
    attack = rng.random() < 0.002
    path = rng.choice(ATTACK_PATHS if attack else PATHS)
    status = rng.choice([200, 200, 200, 304, 404, 500])
    agent = AGENTS[2] if attack and rng.random() < 0.5 else rng.choice(AGENTS[:2])
    ip = _attacker(rng) if attack else _ip(rng, outside=True)
    return {
        "event.dataset": "nginx.access",
        "event.module": "nginx",
        "event.category": "web",
        "source.ip": ip,
        "http.request.method": "GET",
        "url.original": path,
        "url.path": path,
        "http.version": "1.1",
        "http.response.status_code": status,
        "http.response.body.bytes": rng.randrange(100, 90_000),
        "user_agent.original": agent,
        "event.outcome": "failure" if status >= 400 else "success",
        "event.original": f'{ip} - - [27/Nov/2026:10:00:00 +0700] "GET {path} HTTP/1.1" {status}'
        f' 512 "-" "{agent}"',
    }


def _auditd(rng: random.Random, host: str, user: str) -> Fields:
    exe = "/tmp/.x/miner" if rng.random() < 0.001 else rng.choice(["/usr/bin/ls", "/usr/bin/cat"])
    seq = rng.randrange(10**6)
    return {
        "event.dataset": "auditd.log",
        "event.module": "auditd",
        "hanoi.auditd.record_type": "SYSCALL",
        "hanoi.auditd.sequence": seq,
        "hanoi.auditd.syscall": "59",
        "process.executable": exe,
        "process.name": exe.rsplit("/", 1)[-1],
        "process.pid": seq % 30000,
        "user.id": "1000",
        "event.outcome": "success",
        "event.original": f"type=SYSCALL msg=audit(1764237600.000:{seq}): arch=c000003e "
        f'syscall=59 success=yes exe="{exe}"',
    }


def _windows(rng: random.Random, host: str, user: str) -> Fields:
    code = rng.choice(
        ["4624", "4624", "4625", "4634", "4672"] + (["1102"] if rng.random() < 0.001 else [])
    )
    return {
        "event.dataset": "windows.security",
        "event.module": "windows",
        "event.code": code,
        "winlog.channel": "Security",
        "winlog.computer_name": host,
        "host.name": host,
        "winlog.provider_name": "Microsoft-Windows-Security-Auditing",
        "winlog.record_id": rng.randrange(10**7),
        "user.name": user,
        "winlog.event_data.TargetUserName": user,
        "winlog.event_data.LogonType": "3",
        "winlog.event_data.Status": "0xc0000072" if rng.random() < 0.01 else "0x0",
        "message": "Một tài khoản đã đăng nhập thành công.",
        "event.original": f'{{"EventID":{code},"Channel":"Security","Computer":"{host}"}}',
    }


def _fortigate(rng: random.Random, host: str, user: str) -> Fields:
    attack = rng.random() < 0.005
    action = "deny" if attack and rng.random() < 0.8 else "accept"
    port = rng.choice([22, 3389, 445, 4444]) if attack else rng.choice([443, 443, 80, 53])
    src, dst = (_attacker(rng) if attack else _ip(rng, outside=True)), _ip(rng)
    return {
        "event.dataset": "fortinet.firewall",
        "event.module": "fortinet",
        "event.category": "network",
        "observer.name": "sở-tttt-fw01",
        "source.ip": src,
        "source.port": rng.randrange(1024, 65535),
        "destination.ip": dst,
        "destination.port": port,
        "network.transport": "tcp",
        "event.action": action,
        "event.outcome": "failure" if action == "deny" else "success",
        "rule.id": "12",
        "fortinet.firewall.type": "traffic",
        "fortinet.firewall.action": action,
        "event.original": f'date=2026-11-27 time=10:00:00 devname="sở-tttt-fw01" type="traffic" '
        f"srcip={src} dstip={dst} dstport={port} action={action}",
    }


def _syslog(rng: random.Random, host: str, user: str) -> Fields:
    text = f"Hồ sơ một cửa được cập nhật bởi {user}: trạng thái đã tiếp nhận"
    return {
        "event.dataset": "syslog",
        "event.module": "syslog",
        "process.name": "portal",
        "process.pid": rng.randrange(30000),
        "log.syslog.facility.code": 1,
        "message": text,
        "event.original": f"<14>Nov 27 10:00:00 {host} portal: {text}",
    }


SHAPES: list[Callable[[random.Random, str, str], Fields]] = [
    _auth,
    _nginx,
    _auditd,
    _windows,
    _fortigate,
    _syslog,
]


def make_events(count: int, seed: int = 42) -> Iterator[list[Event]]:
    """Batches of synthetic events; @timestamps spread over the last hour."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=1)
    batch: list[Event] = []
    for n in range(count):
        host, user = rng.choice(HOSTS), rng.choice(USERS)
        fields = SHAPES[n % len(SHAPES)](rng, host, user)
        stamp = start + timedelta(microseconds=n * 3_600_000_000 // count)
        fields.update(
            {
                "@timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "event.kind": "event",
                "host.name": fields.get("host.name", host),
            }
        )
        batch.append(Event(f"bench-{n:08d}", fields))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class TimedStore(SQLiteStore):
    """The SQLite store, timing its writes so the report can split search from writing."""

    write_s = 0.0

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        started = time.perf_counter()
        try:
            return super().record_alerts(alerts)
        finally:
            self.write_s += time.perf_counter() - started

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        started = time.perf_counter()
        try:
            super().complete_windows(windows)
        finally:
            self.write_s += time.perf_counter() - started


def build_store(path: Path, count: int) -> float:
    started = time.perf_counter()
    store = SQLiteStore(path, synchronous="OFF")
    try:
        for batch in make_events(count):
            store.write_events(batch)
    finally:
        store.close()
    return time.perf_counter() - started


def detection_config(rules_dir: Path) -> DetectionConfig:
    """The project pack's detection settings (the test fixtures if the pack is absent)."""
    pipeline = rules_dir / "pipelines" / "ecs.yml"
    if not pipeline.exists():
        rules_dir, pipeline = FIXTURES / "rules", FIXTURES / "pipelines" / "ecs_test.yml"
    return window_config(rules_dir, pipeline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("--synchronous", default="FULL", choices=["OFF", "NORMAL", "FULL"])
    parser.add_argument(
        "--per-rule",
        action="store_true",
        help="run the rules one after another and time each (default: one tick, as scheduled)",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="time one cycle at each of --sizes and print the growth (bench_detect_growth.py)",
    )
    parser.add_argument("--sizes", default="250000,1000000", help="with --growth: event counts")
    parser.add_argument(
        "--repeat", type=int, default=3, help="with --growth: cycles per size (the least counts)"
    )
    parser.add_argument(
        "--compare-old",
        action="store_true",
        help="with --growth: also time the old page SQL (start bound + key filter) side by side",
    )
    args = parser.parse_args()
    config = detection_config(args.rules_dir)
    if args.growth:
        from bench_detect_growth import measure_growth

        sizes = [int(size) for size in args.sizes.split(",")]
        measure_growth(
            config, sizes, args.synchronous, compare_old=args.compare_old, repeat=args.repeat
        )
        return
    rules = window_rules(config)

    with tempfile.TemporaryDirectory(prefix="canhgac-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        build_s = build_store(path, args.events)
        print(f"stored {args.events:,} events in {build_s:.1f} s ({args.events / build_s:,.0f}/s)")
        store = TimedStore(path, synchronous=args.synchronous)
        try:
            engine = DetectionEngine(store, config)
            rows = []
            started = time.perf_counter()
            if args.per_rule:  # one rule after another, to see what each costs
                for rule in rules:
                    writes_before = store.write_s
                    report = engine.run_rule(rule)
                    writes = store.write_s - writes_before
                    rows.append(
                        (
                            report.duration_s,
                            writes,
                            report.matches,
                            report.alerts_created,
                            rule.title,
                        )
                    )
            else:  # what the scheduler does: the rules as one tick
                for rule, report in zip(rules, engine.run_rules(rules), strict=True):
                    rows.append((0.0, 0.0, report.matches, report.alerts_created, rule.title))
            total = time.perf_counter() - started
            total_writes = store.write_s
        finally:
            store.close()

    print(
        f"\n{len(rules)} rules from {config.rules_dir}, one window over {args.events:,} events,"
        f" synchronous={args.synchronous}"
    )
    if args.per_rule:
        print(f"{'seconds':>8} {'search':>7} {'writes':>7} {'matches':>8} {'alerts':>7}  rule")
    else:
        print(f"{'matches':>8} {'alerts':>7}  rule  (--per-rule times each rule)")
    for seconds, writes, matches, alerts, title in sorted(rows, reverse=True):
        search = seconds - writes
        if args.per_rule:
            print(f"{seconds:8.3f} {search:7.3f} {writes:7.3f} {matches:8,} {alerts:7,}  {title}")
        else:
            print(f"{matches:8,} {alerts:7,}  {title}")
    print(
        f"\nsearching {total - total_writes:.2f} s, writing alerts and watermarks "
        f"{total_writes:.2f} s"
    )
    verdict = "OK" if total < TARGET_S else "SLOW"
    print(f"\ntotal {total:.2f} s for one detection cycle (target < {TARGET_S:.0f} s): {verdict}")
    print(
        f"mean {total / max(1, len(rules)):.3f} s per rule; "
        f"{args.events * len(rules) / total:,.0f} event-rule evaluations/s"
    )


if __name__ == "__main__":
    main()
