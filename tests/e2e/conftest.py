"""Start `canhgac run` as a real subprocess on free loopback ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.city_traffic import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Instance:
    """One `canhgac run` process and the addresses it listens on."""

    workdir: Path
    syslog_port: int
    http_port: int
    log_file: Path
    db_path: Path
    config_path: Path
    process: subprocess.Popen[bytes] | None = None
    outputs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        out = self.workdir / f"run-{len(self.outputs)}.log"
        self.outputs.append(out)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
        with out.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "canhgac", "run", "--config", str(self.config_path)],
                cwd=self.workdir,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(self.http_ready, 60, "the HTTP source to listen")

    def http_ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"canhgac run exited early:\n{self.output()}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.http_port}/healthz", timeout=1
            ) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self.process, timeout=30)

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.outputs if p.exists())


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    syslog_port, http_port, web_port = free_port(), free_port(), free_port()
    log_file = tmp_path / "portal-access.log"
    log_file.touch()
    db_path = tmp_path / "var" / "canhgac.db"
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"""
data_dir: {tmp_path / "var"}
sources:
  - {{type: syslog_udp, name: syslog-udp, port: {syslog_port}}}
  - {{type: syslog_tcp, name: syslog-tcp, port: {syslog_port}}}
  - {{type: http, name: http-json, port: {http_port}, parser: windows}}
  - {{type: file, name: portal, path: {log_file}, parser: nginx, poll_interval: 100ms}}
store: {{type: sqlite, path: {db_path}, synchronous: NORMAL}}
detection:
  rules_dir: {ROOT / "rules"}
  pipeline: [{ROOT / "rules" / "pipelines" / "ecs.yml"}]
  default_interval: 2s
  ingest_delay: 500ms
  jitter_seconds: 0
indexer: {{batch_wait: 50ms}}
alerting:
  channels: [{{type: console}}]
demo: {{mode: "off"}}
web: {{port: {web_port}}}
""",
        encoding="utf-8",
    )
    inst = Instance(tmp_path, syslog_port, http_port, log_file, db_path, config)
    yield inst
    inst.stop()
