"""Holding a listener's connections open does not freeze `canhgac run` (issue 10, H1).

The review's attack: 311 idle syslog-TCP connections to an instance with a 400-file limit made
the web UI, the API, HTTP ingest and /healthz time out, and logged 98,711 tracebacks in a
minute. Here `canhgac run` gets the same 400-file limit and each listener in turn gets 600 idle
connections (more than the whole limit): the other roles and listeners keep answering at
their normal latency, the refusals are counted, and the log stays short.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.city_traffic import free_port, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FILE_LIMIT = 400
IDLE_CONNECTIONS = 600
CONNECTION_LIMIT = 50
WAVE = 25
SLOW_SECONDS = 2.0  # normal latency here is milliseconds; the frozen instance timed out


@dataclass
class Ports:
    syslog: int
    http: int
    web: int
    metrics: int


def _limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Ports, Path]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if min(soft, hard) < IDLE_CONNECTIONS + 200:
        pytest.skip(f"this test process may open only {soft} files")
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    config = tmp_path / "canhgac.yaml"
    limits = f"max_connections: {CONNECTION_LIMIT}, max_connections_per_address: {CONNECTION_LIMIT}"
    config.write_text(
        f"""
data_dir: {tmp_path / "var"}
sources:
  - {{type: syslog_tcp, name: syslog-tcp, port: {ports.syslog}, {limits}}}
  # Held open (an attacker keeps them alive anyway): the worst case, not the idle timeout.
  - {{type: http, name: http-json, port: {ports.http}, idle_timeout: 1h, {limits}}}
store: {{type: sqlite, path: {tmp_path / "var" / "canhgac.db"}, synchronous: NORMAL}}
detection:
  rules_dir: {ROOT / "rules"}
  pipeline: [{ROOT / "rules" / "pipelines" / "ecs.yml"}]
alerting: {{channels: [{{type: console}}]}}
demo: {{mode: "off"}}
web: {{port: {ports.web}}}
metrics: {{enabled: true, port: {ports.metrics}}}
""",
        encoding="utf-8",
    )
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "canhgac", "run", "--config", str(config)],
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_files,
        )
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{ports.metrics}/healthz"), 60, "start")
        yield ports, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(url: str, data: bytes | None = None) -> bool:
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=SLOW_SECONDS) as response:
            return 200 <= response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def _slowest(urls: list[tuple[str, bytes | None]]) -> float:
    slowest = 0.0
    for _ in range(5):
        for url, data in urls:
            started = time.monotonic()
            assert _answers(url, data), url
            slowest = max(slowest, time.monotonic() - started)
    return slowest


def _syslog_answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=SLOW_SECONDS) as sock:
        sock.sendall(b"<13>Mar  5 14:02:11 host app: still heard\n")
    return True


def _metric(ports: Ports, name: str, label: str = "") -> float:
    url = f"http://127.0.0.1:{ports.metrics}/metrics"
    with urllib.request.urlopen(url, timeout=SLOW_SECONDS) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and label in line
    )


def _seen(ports: Ports, source: str) -> float:
    """Connections the listener took so far: serving and refused."""
    label = f'source="{source}"'
    return _metric(ports, "canhgac_source_connections{", label) + _metric(
        ports, "canhgac_source_connections_rejected_total", label
    )


@pytest.mark.parametrize("flooded", ["syslog", "http"])
def test_idle_connections_to_one_listener_leave_every_role_answering(
    running: tuple[Ports, Path], flooded: str
) -> None:
    ports, log = running
    target = ports.syslog if flooded == "syslog" else ports.http
    name = "syslog-tcp" if flooded == "syslog" else "http-json"
    others = [
        (f"http://127.0.0.1:{ports.web}/login", None),  # the web UI
        (f"http://127.0.0.1:{ports.web}/api/v1/openapi.json", None),  # the API
        (f"http://127.0.0.1:{ports.metrics}/healthz", None),
    ]
    if flooded == "syslog":
        others.append((f"http://127.0.0.1:{ports.http}/ingest", '{"message": "vẫn nhận"}'.encode()))
    with ExitStack() as stack:
        # In waves the listen backlog holds: a burst overflows the kernel's queues, and an
        # overflowed handshake may end as a socket the client thinks open and the server never
        # saw (a SYN cookie whose ACK was dropped), which no listener can count or refuse.
        for wave in range(0, IDLE_CONNECTIONS, WAVE):
            for _ in range(WAVE):
                sock = stack.enter_context(socket.socket())
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", target))
            wait_for(
                lambda taken=wave + WAVE: _seen(ports, name) >= taken,
                30,
                f"the listener to take connection {wave + WAVE}",
            )
        assert _metric(ports, "canhgac_source_connections_rejected_total") == (
            IDLE_CONNECTIONS - CONNECTION_LIMIT
        )
        assert _slowest(others) < SLOW_SECONDS
        if flooded == "http":
            assert _syslog_answers(ports.syslog)
        # The flooded listener's own count: another's may hold the check's connection still.
        assert _metric(ports, "canhgac_source_connections{", f'"{name}"') <= CONNECTION_LIMIT
        assert _metric(ports, "process_open_fds") < FILE_LIMIT
    text = log.read_text(errors="replace")
    assert text.count("Traceback") == 0 and text.count("refusing a connection") <= 2, text[-3000:]
