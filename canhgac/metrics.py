"""Health and Prometheus metrics for every role: ``/healthz`` and ``/metrics`` over HTTP.

Components do not depend on this module: the composition root registers families here and
either updates them as things happen (``inc``/``observe``) or reads the components' own
stats when scraped (:meth:`Metrics.on_scrape`). Health checks are functions returning
``None`` when fine, else the problem in a few words; ``/healthz`` answers 200 with status
``ok`` when every check is fine, 200 with ``degraded`` when only *soft* checks fail (a silent
log source), 503 ``unhealthy`` otherwise, with the details as JSON either way.

No dependency: the text exposition format 0.0.4 is a few lines of code.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

log = logging.getLogger(__name__)

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]
Check = Callable[[], str | None]

#: Seconds; fits store bulk writes and rule runs alike.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(values: dict[str, str]) -> Labels:
    return tuple(sorted((key, str(value)) for key, value in values.items()))


def _escape(value: str) -> str:
    # Label values come from config and rules (attacker-adjacent); the format allows any
    # UTF-8 once backslash, quote and newline are escaped.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _render_labels(labels: Labels, extra: Labels = ()) -> str:
    pairs = [*labels, *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


@dataclass
class _Histogram:
    buckets: tuple[float, ...]
    counts: list[int]
    total: float = 0.0
    count: int = 0


@dataclass
class Family:
    """One metric name with its samples per label set."""

    name: str
    kind: Kind
    help: str
    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    _values: dict[Labels, float] = field(default_factory=dict)
    _histograms: dict[Labels, _Histogram] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if self.kind != "counter" or amount < 0:
            raise ValueError(f"{self.name}: only counters go up, and only by amounts >= 0")
        key = _labels(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, value: float, **labels: str) -> None:
        """Set a gauge, or a counter read from a component's own running total."""
        if self.kind == "histogram":
            raise ValueError(f"{self.name}: a histogram is observed, not set")
        with self._lock:
            self._values[_labels(labels)] = float(value)

    def observe(self, value: float, **labels: str) -> None:
        if self.kind != "histogram":
            raise ValueError(f"{self.name}: only histograms observe")
        key = _labels(labels)
        with self._lock:
            hist = self._histograms.get(key)
            if hist is None:
                hist = self._histograms[key] = _Histogram(self.buckets, [0] * len(self.buckets))
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    hist.counts[index] += 1
            hist.total += value
            hist.count += 1

    def value(self, **labels: str) -> float:
        """A counter's or gauge's current value (0 if never set): for tests and health."""
        with self._lock:
            return self._values.get(_labels(labels), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        with self._lock:
            for labels, value in sorted(self._values.items()):
                lines.append(f"{self.name}{_render_labels(labels)} {_number(value)}")
            for labels, hist in sorted(self._histograms.items()):
                for bound, count in zip(hist.buckets, hist.counts, strict=True):
                    le = (("le", _number(bound)),)
                    lines.append(f"{self.name}_bucket{_render_labels(labels, le)} {count}")
                inf = (("le", "+Inf"),)
                lines.append(f"{self.name}_bucket{_render_labels(labels, inf)} {hist.count}")
                lines.append(f"{self.name}_sum{_render_labels(labels)} {_number(hist.total)}")
                lines.append(f"{self.name}_count{_render_labels(labels)} {hist.count}")
        return lines


class Metrics:
    """The registry of one process: metric families, scrape hooks and health checks."""

    def __init__(self) -> None:
        self._families: dict[str, Family] = {}
        self._hooks: list[Callable[[], None]] = []
        self._checks: dict[str, Check] = {}
        # Checks whose failure degrades the process without making it unhealthy (a silent
        # log source is worth reporting, not worth a restart by the orchestrator).
        self._soft: set[str] = set()
        self._lock = threading.Lock()

    def family(
        self, name: str, kind: Kind, help: str, buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> Family:
        """The family ``name``, registered on first use (same kind required after)."""
        with self._lock:
            found = self._families.get(name)
            if found is None:
                found = self._families[name] = Family(name, kind, help, tuple(buckets))
            elif found.kind != kind:
                raise ValueError(f"metric {name} is a {found.kind}, not a {kind}")
            return found

    def counter(self, name: str, help: str) -> Family:
        return self.family(name, "counter", help)

    def gauge(self, name: str, help: str) -> Family:
        return self.family(name, "gauge", help)

    def histogram(self, name: str, help: str, buckets: Sequence[float] = DEFAULT_BUCKETS) -> Family:
        return self.family(name, "histogram", help, buckets)

    def on_scrape(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` before each rendering, to copy a component's stats into families."""
        with self._lock:
            self._hooks.append(hook)

    def check(self, name: str, check: Check, *, soft: bool = False) -> None:
        """Register a health check; a ``soft`` one's failure only degrades (HTTP 200)."""
        with self._lock:
            self._checks[name] = check
            if soft:
                self._soft.add(name)

    def render(self) -> str:
        with self._lock:
            hooks = list(self._hooks)
            families = sorted(self._families.values(), key=lambda f: f.name)
        for hook in hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001 - a failing component must not hide the others
                log.exception("a metrics hook failed")
        return "\n".join(line for family in families for line in family.render()) + "\n"

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

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
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

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # scrapes every few seconds would flood the log

    return Handler
