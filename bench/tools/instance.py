"""One embedded `canhgac run` for a benchmark: the default configuration on free loopback ports,
plus the demo's tailed access log, as a subprocess in a work folder; and what can be read
from outside it: Prometheus metrics, RSS and CPU of its process tree, disk use.

The start and the health wait are those of the end-to-end tests (tests/e2e/conftest.py);
free ports and waiting come from tests/support/city_traffic.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from canhgac.cli.demo.sender import DemoTargets
from tests.support.city_traffic import free_port, stop_process, wait_for

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass
class EmbeddedInstance:
    workdir: Path
    rules_dir: Path
    pipeline: Path
    interval: str = "1m"
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.syslog_port, self.http_port = free_port(), free_port()
        self.web_port, self.metrics_port = free_port(), free_port()
        self.access_log = self.workdir / "logs" / "dichvucong-access.log"
        self.data_dir = self.workdir / "var"
        self.config_path = self.workdir / "canhgac.yaml"
        self.log_path = self.workdir / "canhgac.log"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "canhgac.db"

    @property
    def targets(self) -> DemoTargets:
        return DemoTargets(
            syslog_port=self.syslog_port,
            http_url=f"http://127.0.0.1:{self.http_port}/ingest",
            file_path=str(self.access_log),
        )

    def write_config(self) -> None:
        """The defaults (store, transport, indexer, detection timing, console alerts) except
        for ports, paths, the rule set and the demo feeding itself."""
        self.access_log.parent.mkdir(parents=True, exist_ok=True)
        self.access_log.touch()
        self.config_path.write_text(
            f"""
data_dir: {self.data_dir}
sources:
  - {{type: syslog_udp, name: syslog-udp, port: {self.syslog_port}}}
  - {{type: syslog_tcp, name: syslog-tcp, port: {self.syslog_port}}}
  - {{type: http, name: http-json, port: {self.http_port}}}
  - {{type: file, name: portal, path: {self.access_log}, parser: nginx}}
store: {{type: sqlite, path: {self.db_path}}}
detection:
  rules_dir: {self.rules_dir}
  pipeline: [{self.pipeline}]
  default_interval: {self.interval}
web: {{port: {self.web_port}}}
metrics: {{enabled: true, port: {self.metrics_port}}}
demo: {{mode: "off"}}
""",
            encoding="utf-8",
        )

    def start(self, timeout_s: float = 180) -> None:
        self.write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
        with self.log_path.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "canhgac", "run", "--config", str(self.config_path)],
                cwd=self.workdir,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(self.ready, timeout_s, f"canhgac run to start (log: {self.log_path})")

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"canhgac run exited early: see {self.log_path}")
        try:
            for port in (self.metrics_port, self.http_port):
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    if response.status != 200:
                        return False
        except OSError:
            return False
        return True

    def stop(self) -> None:
        stop_process(self.process, timeout=60)

    # --- observation ----------------------------------------------------------------------
    def metrics(self) -> dict[str, float]:
        """Every sample of /metrics summed over its labels, by sample name."""
        totals: dict[str, float] = {}
        for sample in self._samples():
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        return totals

    def _samples(self) -> Iterator[Sample]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8")
        for family in text_string_to_metric_families(text):
            yield from family.samples

    def resources(self) -> tuple[int, float]:
        """(RSS bytes, CPU seconds) of the process and its descendants."""
        assert self.process is not None
        rss, cpu = 0, 0.0
        for pid in process_tree(self.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # ended in between
            # after the command: state is field 3; utime 14, stime 15, rss 24 (1-based)
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            rss += int(fields[21]) * PAGE_BYTES
        return rss, cpu

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
