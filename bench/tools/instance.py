"""A canhgac deployment for a benchmark, as `canhgac` processes in a work folder, and what can be
read from outside them: Prometheus metrics, RSS and CPU of their process trees, the store.

:class:`Instance` is what a soak sees: the processes of its roles (one ``canhgac run`` for the
embedded mode, :class:`EmbeddedInstance`; ``collect``, ``index`` and ``detect`` apart for the
scaled one, :mod:`.scaled_instance`), started in flow order and stopped in reverse. The start
and the health wait are those of the end-to-end tests (tests/e2e/conftest.py); free ports and
waiting come from tests/support/city_traffic.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from canhgac.cli.demo.sender import DemoTargets
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.city_traffic import free_port, stop_process, wait_for

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
STOP_TIMEOUT_S = 90.0  # then SIGKILL (the soak reports how long each stop took)
STORED = "canhgac_indexer_events_written_total"
DEAD = "canhgac_indexer_dead_letters_total"
DROPPED = "canhgac_udp_dropped_total"


@dataclass
class RoleProcess:
    """One `canhgac <command>` process: its config, output file and metrics port."""

    command: str  # run | collect | index | detect
    config_path: Path
    metrics_port: int
    # Ports whose /healthz must answer 200 before the role counts as started.
    health_ports: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    stop_s: float | None = None  # how long the last stop took

    @property
    def log_path(self) -> Path:
        return self.config_path.with_suffix(".log")

    def start(self, timeout_s: float) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "canhgac", self.command, "--config", str(self.config_path)],
                cwd=self.config_path.parent,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(self.ready, timeout_s, f"canhgac {self.command} to start (log: {self.log_path})")

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"canhgac {self.command} exited early: see {self.log_path}")
        try:
            for port in (self.metrics_port, *self.health_ports):
                url = f"http://127.0.0.1:{port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status != 200:
                        return False
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM, and remember how long the process took to end."""
        began = time.monotonic()
        stop_process(self.process, timeout=STOP_TIMEOUT_S)
        if self.process is not None:
            self.stop_s = time.monotonic() - began

    def samples(self) -> Iterator[Sample]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8")
        for family in text_string_to_metric_families(text):
            yield from family.samples

    def pids(self) -> list[int]:
        return [] if self.process is None else process_tree(self.process.pid)


def sources_yaml(syslog_port: int, http_port: int, access_log: Path) -> str:
    """The listeners the city feed sends to (DemoTargets), as a config's ``sources:``."""
    return f"""sources:
  - {{type: syslog_udp, name: syslog-udp, port: {syslog_port}}}
  - {{type: syslog_tcp, name: syslog-tcp, port: {syslog_port}}}
  - {{type: http, name: http-json, port: {http_port}}}
  - {{type: file, name: portal, path: {access_log}, parser: nginx}}
"""


def detection_yaml(rules_dir: Path, pipeline: Path, interval: str) -> str:
    return f"""detection:
  rules_dir: {rules_dir}
  pipeline: [{pipeline}]
  default_interval: {interval}
"""


@dataclass
class Instance(ABC):
    """The processes of one deployment, fed by the city stream on the ports of ``targets``."""

    workdir: Path
    rules_dir: Path
    pipeline: Path
    interval: str = "1m"
    roles: list[RoleProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.syslog_port, self.http_port = free_port(), free_port()
        self.access_log = self.workdir / "logs" / "dichvucong-access.log"

    @property
    def targets(self) -> DemoTargets:
        return DemoTargets(
            syslog_port=self.syslog_port,
            http_url=f"http://127.0.0.1:{self.http_port}/ingest",
            file_path=str(self.access_log),
        )

    @property
    def sources(self) -> str:
        return sources_yaml(self.syslog_port, self.http_port, self.access_log)

    @property
    def detection(self) -> str:
        return detection_yaml(self.rules_dir, self.pipeline, self.interval)

    @abstractmethod
    def describe(self) -> str:
        """One line: what runs, for the report."""

    @abstractmethod
    def plan_roles(self) -> list[RoleProcess]:
        """Write each role's config; the roles in start order (the flow's end first)."""

    @abstractmethod
    def open_store(self) -> Store:
        """A client of the store the roles write (the caller closes it)."""

    @abstractmethod
    def disk_bytes(self) -> int:
        """What the stored data takes on disk."""

    def counts(self, store: Store) -> tuple[int, int, int]:
        """(events stored, dead letters, UDP datagrams dropped) so far."""
        metrics = self.metrics()
        return int(metrics.get(STORED, 0)), int(metrics.get(DEAD, 0)), int(metrics.get(DROPPED, 0))

    @abstractmethod
    def remove_data(self) -> None:
        """Delete what the roles stored outside the work folder."""

    def start(self, timeout_s: float = 180) -> None:
        self.access_log.parent.mkdir(parents=True, exist_ok=True)
        self.access_log.touch()
        self.roles = self.plan_roles()
        for role in self.roles:
            role.start(timeout_s)

    def stop(self) -> None:
        for role in reversed(self.roles):  # the sources first, so the rest drains
            role.stop()

    def metrics(self) -> dict[str, float]:
        """Every sample of every role's /metrics summed over labels and roles, by name."""
        totals: dict[str, float] = {}
        for role in self.roles:
            for sample in role.samples():
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        return totals

    def resources(self) -> tuple[int, float]:
        """(RSS bytes, CPU seconds) of every role's process and its descendants."""
        rss, cpu = 0, 0.0
        for pid in (pid for role in self.roles for pid in role.pids()):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # ended in between
            # after the command: state is field 3; utime 14, stime 15, rss 24 (1-based)
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            rss += int(fields[21]) * PAGE_BYTES
        return rss, cpu

    def stop_seconds(self) -> dict[str, float]:
        """How long each role took to stop (after :meth:`stop`)."""
        return {role.command: role.stop_s for role in self.roles if role.stop_s is not None}


@dataclass
class EmbeddedInstance(Instance):
    """One `canhgac run`: the default configuration (SQLite, in-process transport) on free
    loopback ports, plus the demo's tailed access log."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.web_port, self.metrics_port = free_port(), free_port()
        self.data_dir = self.workdir / "var"
        self.db_path = self.data_dir / "canhgac.db"

    def describe(self) -> str:
        return "embedded: one canhgac run, SQLite, in-process transport"

    def plan_roles(self) -> list[RoleProcess]:
        """The defaults (store, transport, indexer, detection timing, console alerts) except
        for ports, paths, the rule set and the demo feeding itself."""
        config = self.workdir / "canhgac.yaml"
        config.write_text(
            f"""
data_dir: {self.data_dir}
{self.sources}
store: {{type: sqlite, path: {self.db_path}}}
{self.detection}
web: {{port: {self.web_port}}}
metrics: {{enabled: true, port: {self.metrics_port}}}
demo: {{mode: "off"}}
""",
            encoding="utf-8",
        )
        return [RoleProcess("run", config, self.metrics_port, (self.http_port,))]

    def open_store(self) -> Store:
        return SQLiteStore(self.db_path)

    def remove_data(self) -> None:
        """Nothing: the database is in the work folder."""

    def disk_bytes(self) -> int:
        """What the data folder (database, WAL, checkpoints) takes on disk."""
        return sum(p.stat().st_blocks * 512 for p in self.data_dir.rglob("*") if p.is_file())


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant, from /proc/<pid>/task/<tid>/children."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in children.read_text().split())
            except OSError:
                continue
    return found
