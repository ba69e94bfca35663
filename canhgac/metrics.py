"""Health and Prometheus metrics for every role: ``/healthz`` and ``/metrics`` over HTTP.

Components do not depend on this module: the composition root registers metrics here and
either updates them as things happen (``inc``/``observe``) or reads the components' own
stats when scraped (:meth:`Metrics.on_scrape`). Health checks are functions returning
``None`` when fine, else the problem in a few words; ``/healthz`` answers 200 with status
``ok`` when every check is fine, 200 with ``degraded`` when only *soft* checks fail (a silent
log source), 503 ``unhealthy`` otherwise, with the details as JSON either way.

The metric objects, their registry and the text format are ``prometheus_client``'s. Each
:class:`Metrics` has a registry of its own (not the library's global one), so two runtimes or
two tests in one process never see each other's samples.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric

__all__ = [
    "CONTENT_TYPE",
    "Check",
    "CounterMetricFamily",
    "GaugeMetricFamily",
    "Metric",
    "Metrics",
    "MetricsServer",
    "ProcessCollector",
]

log = logging.getLogger(__name__)

Check = Callable[[], str | None]
Family = Counter | Gauge | Histogram
F = TypeVar("F", Counter, Gauge, Histogram)

#: Seconds; fits store bulk writes and rule runs alike.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: The text format 0.0.4, which every Prometheus reads (names here need no UTF-8 escaping).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# A ``*_created`` series beside every counter and histogram doubles the series count for a
# timestamp nobody here reads; the exposition had none before prometheus_client either.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus_client


class _OnScrape:
    """A collector reading a component's own stats at each scrape; a failure is logged and
    skipped, so one broken component does not take the other metrics down with it."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        try:
            return list(self._collect())
        except Exception:  # a failing component must not hide the others
            log.exception("a metrics collector failed")
            return []


class Metrics:
    """The metrics of one process: its registry, metric objects and health checks."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._families: dict[str, tuple[Family, tuple[str, ...]]] = {}
        self._checks: dict[str, Check] = {}
        # Checks whose failure degrades the process without making it unhealthy (a silent
        # log source is worth reporting, not worth a restart by the orchestrator).
        self._soft: set[str] = set()
        self._lock = threading.Lock()

    def _family(self, kind: type[F], name: str, labels: Sequence[str], make: Callable[[], F]) -> F:
        """The metric ``name``, made on first use (same kind and label names required after:
        two wirings of one process may both ask for it)."""
        with self._lock:
            found = self._families.get(name)
            if found is None:
                made = make()
                self._families[name] = (made, tuple(labels))
                return made
            family, known_labels = found
            if not isinstance(family, kind) or known_labels != tuple(labels):
                raise ValueError(f"metric {name} exists with another kind or other label names")
            return family

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        return self._family(
            Counter, name, labels, lambda: Counter(name, help, labels, registry=self.registry)
        )

    def gauge(self, name: str, help: str, labels: Sequence[str] = ()) -> Gauge:
        return self._family(
            Gauge, name, labels, lambda: Gauge(name, help, labels, registry=self.registry)
        )

    def histogram(
        self,
        name: str,
        help: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        def make() -> Histogram:
            return Histogram(name, help, labels, registry=self.registry, buckets=buckets)

        return self._family(Histogram, name, labels, make)

    def on_scrape(self, collect: Callable[[], Iterable[Metric]]) -> None:
        """Call ``collect`` at each scrape for metrics read from a component's own stats
        (counters it keeps itself, gauges of its state)."""
        self.registry.register(_OnScrape(collect))

    def check(self, name: str, check: Check, *, soft: bool = False) -> None:
        """Register a health check; a ``soft`` one's failure only degrades (HTTP 200)."""
        with self._lock:
            self._checks[name] = check
            if soft:
                self._soft.add(name)

    def render(self) -> str:
        return generate_latest(self.registry).decode("utf-8")

    def health(self) -> tuple[bool, dict[str, str]]:
        """(healthy, check name -> "ok" or the problem)."""
        with self._lock:
            checks = dict(self._checks)
        results: dict[str, str] = {}
        for name, check in sorted(checks.items()):
            try:
                problem = check()
            except Exception as exc:  # noqa: BLE001 - a check that fails is a failed check
                problem = f"{type(exc).__name__}: {exc}"
            results[name] = "ok" if problem is None else problem
        return all(value == "ok" for value in results.values()), results

    def status(self) -> tuple[str, dict[str, str]]:
        """("ok" | "degraded" | "unhealthy", check results): degraded when only soft checks
        fail."""
        healthy, results = self.health()
        if healthy:
            return "ok", results
        with self._lock:
            soft = set(self._soft)
        hard = [name for name, value in results.items() if value != "ok" and name not in soft]
        return ("unhealthy" if hard else "degraded"), results


class MetricsServer:
    """Serves ``/healthz`` and ``/metrics`` of ``metrics`` on ``host:port`` in a thread
    (port 0: any free port; :attr:`port` tells which once started)."""

    def __init__(self, metrics: Metrics, host: str, port: int, roles: Iterable[str] = ()) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self.roles = sorted(roles)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = ThreadingHTTPServer((self.host, self.port), _handler(self.metrics, self.roles))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="metrics-http"
        )
        self._thread.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _handler(metrics: Metrics, roles: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "canhgac"
        sys_version = ""

        def do_GET(self) -> None:  # the http.server API
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, CONTENT_TYPE, metrics.render())
            elif path == "/healthz":
                status, checks = metrics.status()
                body = json.dumps(
                    {"status": status, "roles": roles, "checks": checks}, ensure_ascii=False
                )
                code = 503 if status == "unhealthy" else 200
                self._send(code, "application/json", body + "\n")
            else:
                self._send(404, "text/plain; charset=utf-8", "not found\n")

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return  # scrapes every few seconds would flood the log

    return Handler
