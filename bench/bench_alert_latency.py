"""Event -> alert latency of the scaled mode: syslog in, alert stored in Elasticsearch.

    deploy/services/up && source var/services/services.env
    .venv/bin/python bench/bench_alert_latency.py                      # 60 attacks, 5s rule
    .venv/bin/python bench/bench_alert_latency.py --interval 10 --ingest-delay 5

Starts `canhgac collect`, `canhgac index` and `canhgac detect` as separate processes (Kafka
transport, Elasticsearch store, fresh topics and index prefix), with one rule (SSH login for a
non-existent user, one alert per source address) on the given interval. Sends N attack lines
over UDP syslog, each from its own address, ``--gap`` seconds apart, and measures for each
alert ``created_at`` minus the time its line was sent. The goal (issue 3) is
p99 <= rule interval + 5 s. Prints percentiles; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from canhgac.config import ElasticsearchStoreConfig, KafkaTransportConfig
from canhgac.models import Alert, AlertFilter
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.timeutil import from_iso
from ingest.transport.kafka.client import client_options

from kafka import KafkaAdminClient  # isort: skip  (after ingest.transport.kafka: no warnings)
from tests.support.city_traffic import free_port  # isort: skip
from tools.soak_stats import percentile  # isort: skip

ROOT = Path(__file__).resolve().parents[1]
RULE = ROOT / "rules" / "linux" / "sshd" / "lnx_sshd_invalid_user.yml"


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"{name} is not set: run deploy/services/up and source var/services/services.env")
    return value


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _address(alert: Alert) -> str:
    return str(alert.group_key.get("source.ip", alert.snapshot.get("source.ip")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60, help="attack lines (= alerts)")
    parser.add_argument("--interval", type=float, default=5.0, help="rule interval, seconds")
    parser.add_argument("--ingest-delay", type=float, default=5.0, help="seconds")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between lines")
    args = parser.parse_args()

    unique = uuid.uuid4().hex[:8]
    kafka = KafkaTransportConfig(
        bootstrap_servers=[_env("CANHGAC_TEST_KAFKA_BOOTSTRAP")],
        topic=f"cg-lat-events-{unique}",
        dead_letter_topic=f"cg-lat-dead-{unique}",
        group_id=f"cg-lat-{unique}",
        partitions=3,
    )
    store = ElasticsearchStore(
        ElasticsearchStoreConfig(
            hosts=[_env("CANHGAC_TEST_ES_URL")], index_prefix=f"cg-lat-{unique}"
        )
    )
    syslog_port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="cg-lat-") as tmp:
        work = Path(tmp)
        (work / "rules").mkdir()
        (work / "rules" / RULE.name).write_bytes(RULE.read_bytes())
        try:
            for role in ("detect", "index", "collect"):
                port = free_port()
                config = work / f"{role}.yaml"
                config.write_text(
                    f"""
data_dir: {work / role}
sources: [{{type: syslog_udp, name: syslog-udp, port: {syslog_port}, parser: auth}}]
transport: {{type: kafka, bootstrap_servers: {json.dumps(kafka.bootstrap_servers)},
  topic: {kafka.topic}, dead_letter_topic: {kafka.dead_letter_topic},
  group_id: {kafka.group_id}, partitions: {kafka.partitions}}}
store: {{type: elasticsearch, hosts: {json.dumps([_env("CANHGAC_TEST_ES_URL")])},
  index_prefix: {store.names.prefix}}}
detection: {{rules_dir: {work / "rules"}, pipeline: [{ROOT / "rules/pipelines/ecs.yml"}],
  default_interval: {args.interval}s, ingest_delay: {args.ingest_delay}s, jitter_seconds: 0}}
indexer: {{batch_wait: 50ms}}
alerting: {{channels: []}}
demo: {{mode: "off"}}
metrics: {{enabled: true, port: {port}}}
""",
                    encoding="utf-8",
                )
                env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "canhgac", role, "--config", str(config)],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=(work / f"{role}.log").open("wb"),
                    )
                )
                deadline = time.monotonic() + 60
                while not _healthy(port):
                    if time.monotonic() > deadline or processes[-1].poll() is not None:
                        sys.exit(f"canhgac {role} did not start: see {work / role}.log")
                    time.sleep(0.2)

            sent: dict[str, float] = {}
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                for i in range(args.n):
                    ip = f"198.51.{i // 250}.{i % 250 + 1}"
                    line = (
                        f"<38>Nov 27 10:00:01 congdan-web01 sshd[{2000 + i}]:"
                        f" Invalid user u{i} from {ip} port 4242"
                    )
                    sent[ip] = time.time()
                    udp.sendto(line.encode(), ("127.0.0.1", syslog_port))
                    time.sleep(args.gap)
            deadline = time.monotonic() + args.interval * 4 + args.ingest_delay + 120
            alerts = []
            while time.monotonic() < deadline:
                alerts = store.list_alerts(AlertFilter(limit=1000))
                if len(alerts) >= args.n:
                    break
                time.sleep(0.5)
            latencies = [
                from_iso(a.created_at).timestamp() - sent[_address(a)]
                for a in alerts
                if _address(a) in sent
            ]
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
            store.delete_indices()
            store.close()
            admin = KafkaAdminClient(**client_options(kafka))
            admin.delete_topics([kafka.topic, kafka.dead_letter_topic])
            admin.close()

    goal = args.interval + 5
    print(
        f"alerts {len(latencies)}/{args.n}  rule interval {args.interval:g}s  "
        f"ingest_delay {args.ingest_delay:g}s"
    )
    if latencies:
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        print(f"event -> alert latency: p50 {p50:.2f}s  p99 {p99:.2f}s  max {max(latencies):.2f}s")
        print(f"goal p99 <= interval + 5s = {goal:g}s: {'met' if p99 <= goal else 'NOT met'}")


if __name__ == "__main__":
    main()
