"""A scaled site for the integration tests: `canhgac collect|index|detect|run` processes,
each with its own config file, on the real Kafka broker and Elasticsearch node, plus the
city traffic they are fed and helpers to read the outcome (used by test_scaled_*.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from canhgac.config import KafkaTransportConfig
from canhgac.models import AlertFilter, Event
from canhgac.store.elasticsearch.store import ElasticsearchStore
from ingest.transport.base import Batch
from ingest.transport.kafka.sender import KafkaSender
from tests.support.city_traffic import (
    EXPECTED,
    free_port,
    wait_for,
)
from tests.support.city_traffic import send_city_logs as send_city_traffic

ROOT = Path(__file__).resolve().parents[2]

# Just the rules this traffic concerns: the others would only load the (shared, small) test
# node with empty searches; the embedded e2e test checks none of them fires on it.
RULE_FILES = sorted(p for stem in EXPECTED for p in (ROOT / "rules").rglob(f"{stem}.yml"))


# --- processes -------------------------------------------------------------------------------
def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


@dataclass
class Role:
    """One `canhgac <command>` process with its metrics port and output file."""

    command: str
    config: Path
    metrics_port: int
    output_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Role:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
        with self.output_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "canhgac", self.command, "--config", str(self.config)],
                cwd=self.config.parent,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(self.healthy, 60, f"canhgac {self.command} to report healthy")
        return self

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"canhgac {self.command} exited early:\n{self.output()}")
        try:
            status, _ = _get(f"http://127.0.0.1:{self.metrics_port}/healthz")
        except OSError:
            return False
        return status == 200

    def metric(self, name: str) -> float:
        """The sum of every sample of ``name`` on the process's /metrics page."""
        _, text = _get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        values = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith((name + " ", name + "{"))
        ]
        return sum(values)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""


@dataclass
class Site:
    """A scaled deployment in a temporary directory: one config file per process."""

    root: Path
    kafka: KafkaTransportConfig
    store: ElasticsearchStore
    es_url: str = field(default_factory=lambda: os.environ["CANHGAC_TEST_ES_URL"])
    syslog_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    roles: list[Role] = field(default_factory=list)

    @property
    def rules_dir(self) -> Path:
        folder = self.root / "rules"
        if not folder.exists():
            folder.mkdir()
            for rule in RULE_FILES:
                (folder / rule.name).write_bytes(rule.read_bytes())
        return folder

    @property
    def access_log(self) -> Path:
        return self.root / "portal-access.log"

    def role(self, command: str, name: str, *, extra: str = "") -> Role:
        port = free_port()
        data_dir = self.root / name
        data_dir.mkdir(parents=True, exist_ok=True)
        self.access_log.touch()
        config = data_dir / "canhgac.yaml"
        config.write_text(
            f"""
data_dir: {data_dir}
sources:
  - {{type: syslog_udp, name: syslog-udp, port: {self.syslog_port}}}
  - {{type: syslog_tcp, name: syslog-tcp, port: {self.syslog_port}, max_message_bytes: 4096}}
  - {{type: http, name: http-json, port: {self.http_port}, parser: windows}}
  - {{type: file, name: portal, path: {self.access_log}, parser: nginx, poll_interval: 100ms}}
transport:
  type: kafka
  bootstrap_servers: {json.dumps(self.kafka.bootstrap_servers)}
  topic: {self.kafka.topic}
  dead_letter_topic: {self.kafka.dead_letter_topic}
  group_id: {self.kafka.group_id}
  partitions: {self.kafka.partitions}
store:
  type: elasticsearch
  hosts: {json.dumps([self.es_url])}
  index_prefix: {self.store.names.prefix}
detection:
  rules_dir: {self.rules_dir}
  pipeline: [{ROOT / "rules" / "pipelines" / "ecs.yml"}]
  default_interval: 2s
  # The default. Events are stamped when their bulk starts; a bulk slower than this (the
  # first write of a day creates its index, the shared test node is busy) would otherwise
  # land behind a window already searched.
  ingest_delay: 5s
  jitter_seconds: 0
indexer: {{batch_wait: 50ms}}
alerting:
  channels: [{{type: console}}]
demo: {{mode: "off"}}
web: {{enabled: false}}
metrics: {{enabled: true, port: {port}}}
{extra}""",
            encoding="utf-8",
        )
        role = Role(command, config, port, data_dir / f"{command}.out")
        self.roles.append(role)
        return role

    def stop_all(self) -> None:
        for role in reversed(self.roles):
            if role.process is not None:
                role.stop()


# --- helpers ---------------------------------------------------------------------------------
def send_city_logs(site: Site) -> None:
    send_city_traffic(site.syslog_port, site.http_port, site.access_log)


def alerts_by_rule(store: ElasticsearchStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for alert in store.list_alerts(AlertFilter(limit=1000)):
        stem = Path(alert.rule_path).stem
        assert stem not in counts, f"two alerts for {stem}"
        counts[stem] = alert.count
    return counts


def make_events(prefix: str, start: int, count: int) -> list[Event]:
    return [
        Event(
            f"{prefix}-{i:06d}",
            {
                "@timestamp": f"2026-11-27T10:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
                "event.original": f"<13>Nov 27 10:00:00 host-{i % 7} app: sự kiện {i}",
                "event.dataset": "syslog",
                "event.kind": "event",
                "host.name": f"host-{i % 7}",
                "message": f"sự kiện {i}",
            },
        )
        for i in range(start, start + count)
    ]


def produce(config: KafkaTransportConfig, prefix: str, total: int, batch: int = 1000) -> None:
    sender = KafkaSender(config)
    try:
        for start in range(0, total, batch):
            sender.send(Batch(make_events(prefix, start, min(batch, total - start))))
        sender.flush(timeout=60)
    finally:
        sender.close()
