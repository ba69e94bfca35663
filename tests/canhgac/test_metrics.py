"""The /healthz and /metrics server and the text format it renders."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from canhgac.metrics import GaugeMetricFamily, Metric, Metrics, MetricsServer


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_counters_gauges_and_histograms_render_in_the_prometheus_text_format() -> None:
    metrics = Metrics()
    metrics.counter("cg_events_total", "Events.", labels=("role",)).labels(role="index").inc(3)
    metrics.counter("cg_events_total", "Events.", labels=("role",)).labels(role="index").inc(2)
    metrics.gauge("cg_lag", "Lag.").set(7)
    hist = metrics.histogram("cg_bulk_seconds", "Bulk.", buckets=(0.1, 1.0))
    hist.observe(0.05)
    hist.observe(0.5)
    hist.observe(5)
    text = metrics.render()
    assert "# TYPE cg_events_total counter" in text
    assert "# TYPE cg_lag gauge" in text and "# TYPE cg_bulk_seconds histogram" in text
    assert 'cg_events_total{role="index"} 5.0\n' in text
    assert "cg_lag 7.0\n" in text
    # Bounds as Prometheus 3 stores them ("1.0", not "1").
    assert 'cg_bulk_seconds_bucket{le="0.1"} 1.0\n' in text
    assert 'cg_bulk_seconds_bucket{le="1.0"} 2.0\n' in text
    assert 'cg_bulk_seconds_bucket{le="+Inf"} 3.0\n' in text
    assert "cg_bulk_seconds_count 3.0\n" in text
    assert "cg_bulk_seconds_sum 5.55\n" in text


def test_hostile_label_values_are_escaped() -> None:
    metrics = Metrics()
    delay = metrics.gauge("cg_rule_delay_seconds", "Delay.", labels=("rule",))
    delay.labels(rule='a"b\\c\nd quy tắc').set(1)
    line = [x for x in metrics.render().splitlines() if x.startswith("cg_rule_delay")][0]
    assert line == 'cg_rule_delay_seconds{rule="a\\"b\\\\c\\nd quy tắc"} 1.0'


def test_counters_refuse_to_go_down_and_kinds_and_labels_cannot_change() -> None:
    metrics = Metrics()
    counter = metrics.counter("cg_x_total", "X.")
    with pytest.raises(ValueError):
        counter.inc(-1)
    with pytest.raises(ValueError):
        metrics.gauge("cg_x_total", "X.")
    with pytest.raises(ValueError):
        metrics.counter("cg_x_total", "X.", labels=("rule",))


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.counter("cg_y_total", "Y.").inc()
    second.counter("cg_y_total", "Y.").inc(5)
    assert first.registry.get_sample_value("cg_y_total") == 1
    assert second.registry.get_sample_value("cg_y_total") == 5


def test_scrape_collectors_run_at_each_rendering_and_a_failing_one_hides_nothing() -> None:
    metrics = Metrics()
    metrics.counter("cg_kept_total", "Kept.").inc()
    calls: list[int] = []

    def broken() -> list[Metric]:
        raise RuntimeError("boom")

    metrics.on_scrape(broken)

    def count() -> list[Metric]:
        calls.append(1)
        return [GaugeMetricFamily("cg_seen", "Seen.", value=len(calls))]

    metrics.on_scrape(count)
    first = metrics.render()
    assert "cg_seen 1.0\n" in first and "cg_kept_total 1.0\n" in first
    assert "cg_seen 2.0\n" in metrics.render()


def test_server_answers_healthz_and_metrics_and_503_when_a_check_fails() -> None:
    metrics = Metrics()
    alerts = metrics.counter("cg_alerts_raised_total", "Alerts.", labels=("rule", "severity"))
    alerts.labels(rule="r1", severity="high").inc()
    problem: list[str] = []
    metrics.check("indexer", lambda: problem[0] if problem else None)
    server = MetricsServer(metrics, "127.0.0.1", 0, roles=["index", "detect"])
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        status, kind, body = _get(base + "/healthz")
        assert status == 200 and kind == "application/json"
        assert json.loads(body) == {
            "status": "ok",
            "roles": ["detect", "index"],
            "checks": {"indexer": "ok"},
        }
        status, kind, body = _get(base + "/metrics")
        assert status == 200 and kind.startswith("text/plain; version=0.0.4")
        assert 'cg_alerts_raised_total{rule="r1",severity="high"} 1' in body
        problem.append("indexer thread not running")
        status, _, body = _get(base + "/healthz")
        assert status == 503
        assert json.loads(body)["checks"] == {"indexer": "indexer thread not running"}
        assert _get(base + "/nope")[0] == 404
    finally:
        server.stop()
