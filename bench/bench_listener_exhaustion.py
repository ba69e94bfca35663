"""The H1 attack of issue 10, re-run: idle connections held open against one listener of
`canhgac run`, and how long the other roles then take to answer.

`canhgac run` starts twice on loopback with the same file limit (``--files``, 400 as in the
review), the listener bounded once by a connection limit (``--limit``, the fix) and once by a
limit too large to matter (what the code did before: one thread and one file per connection
until the files run out). Each time ``--connections`` idle connections are opened to the
attacked listener (syslog-tcp or http), then the web UI, the API, /healthz and the other
listener are asked ``--probes`` times each. Prints, per run: connections the listener holds,
refused, the process's open files, and the worst and median latency of every probe (a
timeout is shown as such).

    .venv/bin/python bench/bench_listener_exhaustion.py [--target syslog] [--connections 600]
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 3.0


def free_port() -> int:
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


def ask(url: str, data: bytes | None = None) -> float | None:
    """Seconds to an answer (any status below 500), None on a timeout or error."""
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            return None
    except OSError:
        return None
    return time.monotonic() - started


def syslog(port: int) -> float | None:
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"<13>Mar  5 14:02:11 host app: probe\n")
    except OSError:
        return None
    return time.monotonic() - started


def metrics(port: int) -> dict[str, float]:
    found: dict[str, float] = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=TIMEOUT) as r:
            text = r.read().decode()
    except OSError:
        return found
    for line in text.splitlines():
        for name in (
            "canhgac_source_connections{",
            "canhgac_source_connections_rejected_total",
            "process_open_fds",
        ):
            if line.startswith(name):
                key = name.rstrip("{")
                found[key] = found.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


def run(args: argparse.Namespace, limit: int, workdir: Path) -> None:
    syslog_port, http_port, web_port, metrics_port = (free_port() for _ in range(4))
    bounds = f"max_connections: {limit}, max_connections_per_address: {limit}"
    config = workdir / "canhgac.yaml"
    config.write_text(
        f"""
data_dir: {workdir / "var"}
sources:
  - {{type: syslog_tcp, name: syslog-tcp, port: {syslog_port}, {bounds}}}
  - {{type: http, name: http-json, port: {http_port}, idle_timeout: 1h, {bounds}}}
store: {{type: sqlite, path: {workdir / "var" / "canhgac.db"}, synchronous: NORMAL}}
detection:
  rules_dir: {ROOT / "rules"}
  pipeline: [{ROOT / "rules" / "pipelines" / "ecs.yml"}]
alerting: {{channels: [{{type: console}}]}}
demo: {{mode: "off"}}
web: {{port: {web_port}}}
metrics: {{enabled: true, port: {metrics_port}}}
""",
        encoding="utf-8",
    )
    files = args.files

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    log = workdir / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "canhgac", "run", "--config", str(config)],
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_files,
        )
    probes = {
        "web UI /login": lambda: ask(f"http://127.0.0.1:{web_port}/login"),
        "API openapi.json": lambda: ask(f"http://127.0.0.1:{web_port}/api/v1/openapi.json"),
        "/healthz": lambda: ask(f"http://127.0.0.1:{metrics_port}/healthz"),
    }
    if args.target == "syslog":
        target = syslog_port
        probes["HTTP ingest POST"] = lambda: ask(
            f"http://127.0.0.1:{http_port}/ingest", b'{"message": "probe"}'
        )
    else:
        target = http_port
        probes["syslog-TCP send"] = lambda: syslog(syslog_port)
    try:
        deadline = time.monotonic() + 60
        while ask(f"http://127.0.0.1:{metrics_port}/healthz") is None:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"canhgac run did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        with ExitStack() as stack:
            for _ in range(args.connections):
                sock = stack.enter_context(socket.socket())
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", target))
            time.sleep(args.settle)
            seen = metrics(metrics_port)
            label = "limit" if limit < args.files else "no effective limit"
            print(f"\n{args.target} listener, max_connections={limit} ({label}):")
            held, refused, open_files = (
                seen.get(name, float("nan"))
                for name in (
                    "canhgac_source_connections",
                    "canhgac_source_connections_rejected_total",
                    "process_open_fds",
                )
            )
            print(
                f"  held {held:.0f}, refused {refused:.0f}, open files {open_files:.0f} of"
                f" {files}  (nan: /metrics did not answer)"
            )
            for name, probe in probes.items():
                times = [probe() for _ in range(args.probes)]
                answered = [t for t in times if t is not None]
                worst = (
                    "timeout" if len(answered) < len(times) else f"{max(answered) * 1000:.0f} ms"
                )
                median = f"{statistics.median(answered) * 1000:.0f} ms" if answered else "-"
                print(
                    f"  {name:<18} answered {len(answered)}/{len(times)},"
                    f" median {median}, worst {worst}"
                )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        text = log.read_text(errors="replace")
        print(f"  log: {len(text.splitlines())} lines, {text.count('Traceback')} tracebacks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=["syslog", "http"], default="syslog")
    parser.add_argument("--connections", type=int, default=600)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 1000), hard))
    for limit in (args.limit, 100_000):
        with tempfile.TemporaryDirectory() as tmp:
            run(args, limit, Path(tmp))


if __name__ == "__main__":
    main()
