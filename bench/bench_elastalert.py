"""One detection cycle of N Sigma rules: Canh Gác against ElastAlert 2, same node, same data.

Loads synthetic events (the generator of bench/bench_detect.py) into one index prefix on a real
Elasticsearch node, takes the SigmaHQ rules that our pipeline (rules/pipelines/ecs.yml) compiles,
and runs one cycle over the window ``[t0, t1]`` of ``event.ingested`` that holds every event:

* ours: ``load_detection`` + ``build_scheduler(...).run_all_once()`` (the rules as one tick);
* ElastAlert 2 (2.19.x, in its own venv, never a project dependency): the same rules as
  ``type: any`` rules whose filter is ``query_string`` with pySigma's ``LuceneBackend`` output
  for the same rule and pipeline, ``timestamp_field: event.ingested``, ``alert: debug``. A small
  driver running in ElastAlert's venv builds an ``ElastAlerter`` and calls its own
  ``handle_rule_execution`` once per rule, on a thread pool of ElastAlert's ``max_threads``
  (what its scheduler does) or sequentially (``--ea-threads 1``).

Before the timed cycles of each N, one untimed cycle of each tool (with other rule ids) warms
the node, so neither timed run pays for a cold page cache or JIT that the other then finds warm
(``--no-warmup`` times the cold cycles instead). Both talk to Elasticsearch through a
counting HTTP proxy on loopback (one request = one HTTP request, whatever it is); setup (index
templates, ``elastalert-create-index``, rule loading) is outside the counted and timed phase.
For N larger than the convertible rules, rules are repeated with new ids and titles.
Goal: ours ≤ 1/3 of ElastAlert's wall time and ≤ 1/5 of its requests.

    python3.11 -m venv var/elastalert-venv
    var/elastalert-venv/bin/pip install 'elastalert2>=2.19,<2.20' pytz  # 2.19.0 omits pytz
    source var/services/services.env
    .venv/bin/python bench/bench_elastalert.py [--events 200000] [--rules 100 400]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sigma.backends.elasticsearch import LuceneBackend  # type: ignore[attr-defined]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_detect import make_events  # the shared synthetic event generator

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.detector import build_scheduler, load_detection
from alerting.detect.load.ruleset import LoadedRule
from canhgac.config import AlertingConfig, DetectionConfig, ElasticsearchStoreConfig
from canhgac.store.elasticsearch.store import ElasticsearchStore

ROOT = Path(__file__).resolve().parents[1]
SIGMAHQ = ROOT.parent / "shared" / "sigmahq"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
EA_VENV = ROOT / "var" / "elastalert-venv"
PREFIX = "bench-ea"
CLONE_NS = uuid.UUID("6f0d5a52-3c1e-4a57-9a7e-2f1f6c0b7e11")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


# --- the counting proxy ---------------------------------------------------------------------
class _NoDelayServer(ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self) -> tuple[socket.socket, Any]:
        # Without TCP_NODELAY a response written as headers then body waits for the peer's
        # delayed ACK (~40 ms per request), which would swamp both tools' timings.
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


class CountingProxy:
    """Forwards HTTP to Elasticsearch and counts requests per phase and per endpoint.

    ``GET /`` and ``HEAD /`` are answered by the proxy (and counted): the integ-test
    distribution the dev node runs answers them 405, and ElastAlert needs ``info()`` for the
    server version. ``/__bench/phase/<name>`` (not counted) switches the phase."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 9200
        self.phase = "setup"
        self.counts: Counter[str] = Counter()
        self.endpoints: Counter[tuple[str, str]] = Counter()
        self.seconds: dict[tuple[str, str], float] = {}  # upstream time per endpoint
        self._lock = threading.Lock()
        self._local = threading.local()
        self.info = self._info()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = _NoDelayServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _info(self) -> bytes:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(
                "GET", "/_nodes/_local?filter_path=cluster_name,nodes.*.name,nodes.*.version"
            )
            body = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        node = next(iter(body["nodes"].values()))
        info = {
            "name": node["name"],
            "cluster_name": body["cluster_name"],
            "version": {"number": node["version"], "build_flavor": "default"},
            "tagline": "You Know, for Search",
        }
        return json.dumps(info).encode()

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase

    def count(self, phase: str) -> int:
        with self._lock:
            return self.counts[phase]

    def top_endpoints(self, phase: str, n: int = 6) -> list[str]:
        """The busiest endpoints of ``phase``: requests and seconds spent in Elasticsearch."""
        with self._lock:
            found = [
                (ep, c, self.seconds.get((p, ep), 0.0))
                for (p, ep), c in self.endpoints.items()
                if p == phase
            ]
        found.sort(key=lambda item: -item[1])
        return [f"{ep} x{c} {s:.2f}s" for ep, c, s in found[:n]]

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        if req.path.startswith("/__bench/phase/"):
            self.set_phase(req.path.rsplit("/", 1)[-1])
            self._reply(req, 200, [("Content-Type", "application/json")], b"{}")
            return
        with self._lock:
            key = (self.phase, f"{req.command} {_endpoint(req.path)}")
            self.counts[self.phase] += 1
            self.endpoints[key] += 1
        if req.path.split("?")[0] == "/" and req.command in ("GET", "HEAD"):
            mine = [("Content-Type", "application/json"), ("X-elastic-product", "Elasticsearch")]
            self._reply(req, 200, mine, self.info)
            return
        conn = self._connection()
        headers = {k: v for k, v in req.headers.items() if k.lower() not in HOP_HEADERS}
        sent = time.perf_counter()
        try:
            conn.request(req.command, req.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self._local.conn = None
            conn.close()
            raise
        with self._lock:
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - sent
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS]
        self._reply(req, resp.status, out, data)

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            conn.connect()
            if conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
        return conn

    @staticmethod
    def _reply(
        req: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        req.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                req.send_header(key, value)
        req.send_header("Content-Length", str(len(data)))
        # One write for headers and body (end_headers would flush the headers alone).
        req._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        payload = b"".join(req._headers_buffer)  # type: ignore[attr-defined]
        req._headers_buffer = []  # type: ignore[attr-defined]
        req.wfile.write(payload if req.command == "HEAD" else payload + data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _endpoint(path: str) -> str:
    """``/bench-ea-events-*/_search?x`` -> ``/<index>/_search``: endpoints, not index names."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    return "/" + "/".join(p if p.startswith("_") else "<i>" for p in parts[:3])


# --- rules ----------------------------------------------------------------------------------
def convertible_rules() -> list[tuple[LoadedRule, str]]:
    """SigmaHQ rules our pipeline compiles, with pySigma's Lucene query for each."""
    config = DetectionConfig(rules_dir=str(SIGMAHQ), pipeline=[str(PIPELINE)])
    compiled = load_detection(config, "elasticsearch")
    lucene = LuceneBackend(load_pipeline([PIPELINE]))
    pairs: list[tuple[LoadedRule, str]] = []
    for rule in compiled.rules:
        source = rule.source
        if not isinstance(source, LoadedRule) or source.rule is None:
            continue
        try:
            queries = lucene.convert_rule(source.rule)
        # pySigma raises many types; a rule Lucene cannot express is left out of both sides.
        except Exception:  # noqa: BLE001 - deliberate, see above
            continue
        if len(queries) == 1:
            pairs.append((source, str(queries[0])))
    return pairs


def write_rule_sets(
    pairs: list[tuple[LoadedRule, str]], n: int, work: Path, index: str, tag: str = ""
) -> tuple[Path, Path]:
    """N rules for both tools: ours (Sigma YAML with fresh ids) and ElastAlert's (``any``);
    ``tag`` makes another set with other ids (the warm-up's, which leaves no watermark)."""
    ours, theirs = work / f"ours-{n}{tag}", work / f"ea-{n}{tag}"
    ours.mkdir()
    theirs.mkdir()
    for i in range(n):
        source, query = pairs[i % len(pairs)]
        lap = i // len(pairs)
        doc = yaml.safe_load(Path(source.path).read_text(encoding="utf-8"))
        doc["id"] = str(uuid.uuid5(CLONE_NS, f"{tag}{n}/{i}/{source.id}"))
        doc["title"] = f"{doc['title']} (copy {lap})" if lap else doc["title"]
        (ours / f"r{i:04d}.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
        ea_rule = {
            "name": f"{doc['title']} [{doc['id']}]",
            "type": "any",
            "index": index,
            "timestamp_field": "event.ingested",
            "filter": [{"query": {"query_string": {"query": query}}}],
            "alert": ["debug"],
        }
        (theirs / f"r{i:04d}.yaml").write_text(yaml.safe_dump(ea_rule, allow_unicode=True), "utf-8")
    return ours, theirs


# --- the two runs ---------------------------------------------------------------------------
def run_ours(
    rules_dir: Path,
    proxy: CountingProxy,
    t0: datetime,
    t1: datetime,
    prefix: str,
    phase: str | None = None,
) -> dict[str, Any]:
    span = t1 - t0
    detection = DetectionConfig(
        rules_dir=str(rules_dir),
        pipeline=[str(PIPELINE)],
        default_interval=span,
        max_window=span,
        ingest_delay=timedelta(0),
        jitter_seconds=0,
    )
    compiled = load_detection(detection, "elasticsearch")
    store = ElasticsearchStore(ElasticsearchStoreConfig(hosts=[proxy.url], index_prefix=prefix))
    try:
        scheduler = build_scheduler(
            compiled, store, detection, AlertingConfig(), clock=lambda: t1, reload_every=None
        )
        phase = phase or f"ours-{len(compiled.rules)}"
        proxy.set_phase(phase)
        started = time.perf_counter()
        reports = scheduler.run_all_once()
        wall = time.perf_counter() - started
        proxy.set_phase("setup")
    finally:
        store.close()
    return {
        "rules": len(reports),
        "wall_s": wall,
        "requests": proxy.count(phase),
        "matches": sum(r.matches for r in reports),
        "errors": sum(1 for r in reports if r.error),
        "phase": phase,
    }


EA_DRIVER = """
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from elastalert.elastalert import ElastAlerter
from elastalert.util import ts_to_dt
config, start, end, proxy, phase, threads = sys.argv[1:7]
ea = ElastAlerter(["--config", config, "--start", start, "--end", end, "--pin_rules"])
for rule in ea.rules:
    rule["initial_starttime"] = ts_to_dt(start)
def mark(name):
    urllib.request.urlopen(proxy + "/__bench/phase/" + name).read()
mark(phase)
started = time.perf_counter()
with ThreadPoolExecutor(max_workers=int(threads)) as pool:
    list(pool.map(ea.handle_rule_execution, ea.rules))
wall = time.perf_counter() - started
mark("setup")
print(json.dumps({"rules": len(ea.rules), "wall_s": wall}))
"""


def run_elastalert(
    rules_dir: Path,
    proxy: CountingProxy,
    t0: datetime,
    t1: datetime,
    threads: int,
    work: Path,
    phase: str | None = None,
) -> dict[str, Any]:
    n = len(list(rules_dir.glob("*.yaml")))
    writeback = f"bench_ea_{n}_{threads}"
    port = proxy.server.server_address[1]
    span_min = int((t1 - t0).total_seconds() // 60) + 2
    config = work / f"ea-config-{n}-{threads}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "rules_folder": str(rules_dir),
                "run_every": {"minutes": span_min},
                "buffer_time": {"minutes": span_min},
                "es_host": "127.0.0.1",
                "es_port": port,
                "writeback_index": writeback,
                "alert_time_limit": {"days": 1},
                "max_threads": threads,
            }
        ),
        "utf-8",
    )
    bin_dir = EA_VENV / "bin"
    subprocess.run(
        [
            str(bin_dir / "elastalert-create-index"),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--index",
            writeback,
            "--no-ssl",
            "--no-auth",
            "--recreate",
            "True",
        ],
        check=True,
        capture_output=True,
        cwd=work,
    )
    driver = work / "ea_driver.py"
    driver.write_text(EA_DRIVER, "utf-8")
    phase = phase or f"ea-{n}-t{threads}"
    done = subprocess.run(
        [
            str(bin_dir / "python"),
            str(driver),
            str(config),
            _iso(t0),
            _iso(t1),
            proxy.url,
            phase,
            str(threads),
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ElastAlert driver failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    errors = done.stderr.count("Error running rule") + done.stderr.count("Uncaught exception")
    (work / f"{phase}.log").write_text(done.stderr, "utf-8")
    return {**result, "requests": proxy.count(phase), "errors": errors, "phase": phase}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- main -----------------------------------------------------------------------------------
def load_events(url: str, count: int, prefix: str = PREFIX) -> tuple[datetime, datetime]:
    store = ElasticsearchStore(ElasticsearchStoreConfig(hosts=[url], index_prefix=prefix))
    try:
        store.delete_indices()
    finally:
        store.close()
    store = ElasticsearchStore(ElasticsearchStoreConfig(hosts=[url], index_prefix=prefix))
    t0 = datetime.now(UTC) - timedelta(seconds=1)
    try:
        for batch in make_events(count):
            store.write_events(batch)
    finally:
        store.close()
    return t0, datetime.now(UTC) + timedelta(seconds=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rules", type=int, nargs="+", default=[100, 400])
    parser.add_argument(
        "--ea-threads",
        type=int,
        nargs="+",
        default=[10, 1],
        help="ElastAlert thread pools to try (10 is its max_threads default)",
    )
    parser.add_argument("--url", default=os.environ.get("CANHGAC_TEST_ES_URL"))
    parser.add_argument("--prefix", default=PREFIX, help="index prefix of the loaded events")
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="time the first (cold) cycles"
    )
    args = parser.parse_args()
    if not args.url:
        parser.error("set CANHGAC_TEST_ES_URL (source var/services/services.env) or --url")
    pairs = convertible_rules()
    print(f"{len(pairs)} SigmaHQ rules convert for both (ours and Lucene)")
    started = time.perf_counter()
    t0, t1 = load_events(args.url, args.events, args.prefix)
    print(
        f"loaded {args.events} events in {time.perf_counter() - started:.1f} s;"
        f" window {_iso(t0)} .. {_iso(t1)}"
    )
    proxy = CountingProxy(args.url)
    rows: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ea-") as tmp:
            work = Path(tmp)
            for n in args.rules:
                if args.warmup:
                    _warm_up(pairs, n, work, proxy, t0, t1, args)
                ours_dir, ea_dir = write_rule_sets(pairs, n, work, f"{args.prefix}-events-*")
                ours = run_ours(ours_dir, proxy, t0, t1, args.prefix)
                print(f"ours N={n}: {ours}; top: {proxy.top_endpoints(ours['phase'])}")
                theirs = []
                for threads in args.ea_threads:
                    ea = run_elastalert(ea_dir, proxy, t0, t1, threads, work)
                    print(
                        f"ElastAlert N={n} threads={threads}: {ea};"
                        f" top: {proxy.top_endpoints(ea['phase'])}"
                    )
                    theirs.append(ea)
                rows.append((n, ours, theirs))
            _table(rows)
    finally:
        proxy.close()


def _warm_up(
    pairs: list[tuple[LoadedRule, str]],
    n: int,
    work: Path,
    proxy: CountingProxy,
    t0: datetime,
    t1: datetime,
    args: argparse.Namespace,
) -> None:
    """One untimed cycle of each tool (other rule ids), so neither timed run pays for a cold
    node (page cache, JIT, term dictionaries) that the other then finds warm."""
    ours_dir, ea_dir = write_rule_sets(pairs, n, work, f"{args.prefix}-events-*", tag="warm")
    ours = run_ours(ours_dir, proxy, t0, t1, args.prefix, phase=f"warm-ours-{n}")
    ea = run_elastalert(ea_dir, proxy, t0, t1, max(args.ea_threads), work, phase=f"warm-ea-{n}")
    print(
        f"warm-up N={n} (cold node, untimed): ours {ours['wall_s']:.2f} s, EA {ea['wall_s']:.2f} s"
    )


def _table(rows: list[tuple[int, dict[str, Any], list[dict[str, Any]]]]) -> None:
    print()
    print(
        f"{'N':>4} {'EA thr':>6} {'ours s':>8} {'EA s':>8} {'time ratio':>10} {'ours req':>8}"
        f" {'EA req':>8} {'req ratio':>9}  goal (≤0.333 time, ≤0.200 req)"
    )
    for n, ours, theirs in rows:
        for ea in theirs:
            t_ratio = ours["wall_s"] / ea["wall_s"]
            r_ratio = ours["requests"] / max(ea["requests"], 1)
            verdict = (
                ("met" if t_ratio <= 1 / 3 else "MISSED")
                + "/"
                + ("met" if r_ratio <= 1 / 5 else "MISSED")
            )
            print(
                f"{n:>4} {ea['phase'].rsplit('t', 1)[-1]:>6} {ours['wall_s']:>8.2f}"
                f" {ea['wall_s']:>8.2f} {t_ratio:>10.3f} {ours['requests']:>8} {ea['requests']:>8}"
                f" {r_ratio:>9.3f}  {verdict}"
            )


if __name__ == "__main__":
    main()
