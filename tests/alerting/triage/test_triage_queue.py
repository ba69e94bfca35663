"""The alert queue page, its refresh fragment and the queue API."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from alerting.triage.queue import QueueQuery, local_input_value, parse_time
from canhgac.models import AlertSort, AlertStatus, Severity

from .conftest import ClientFor, TriageEnv, make_alert


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="alert-row" data-alert-id="([^"]+)"', page)


@pytest.fixture
def seeded(env: TriageEnv) -> TriageEnv:
    now = env.clock.now
    specs = [
        ("a1", 50, Severity.low, "web-01", "lan", "203.0.113.7", "SSH brute force"),
        ("a2", 40, Severity.critical, "web-02", "minh", "198.51.100.1", "Đăng nhập lạ"),
        ("a3", 30, Severity.medium, "web-01", "minh", "203.0.113.7", "Sudo thất bại"),
        ("a4", 20, Severity.high, "db-01", "root", "10.0.0.5", "Tệp đáng ngờ"),
    ]
    for alert_id, minutes, severity, host, user, ip, title in specs:
        env.add_alert(
            make_alert(
                alert_id,
                now - timedelta(minutes=minutes),
                severity=severity,
                title=title,
                rule_id=f"rule-{alert_id}",
                snapshot={"host.name": host, "user.name": user, "source.ip": ip},
            )
        )
    a4 = env.store.get_alert("a4")
    assert a4 is not None
    env.store.update_alert(a4.model_copy(update={"status": AlertStatus.closed}))
    return env


def test_the_queue_lists_newest_first_with_counts(seeded: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts").text
    assert _rows(page) == ["a4", "a3", "a2", "a1"]
    counts = dict(re.findall(r'data-status="(\w+)">[^<]*<strong>(\d+)</strong>', page))
    assert counts == {"new": "3", "acknowledged": "0", "closed": "1"}
    assert "Trang 1/1 · 4 cảnh báo" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("status=new", ["a3", "a2", "a1"]),
        ("severity=critical", ["a2"]),
        ("rule_id=rule-a3", ["a3"]),
        ("host=web-01", ["a3", "a1"]),
        ("user=minh", ["a3", "a2"]),
        ("source_ip=203.0.113.7&status=new", ["a3", "a1"]),
        ("q=%C4%90%C4%82NG+NH%E1%BA%ACP", ["a2"]),  # "ĐĂNG NHẬP", any case
        ("sort=severity", ["a2", "a4", "a3", "a1"]),
        ("sort=oldest&size=2", ["a1", "a2"]),
        ("sort=oldest&size=2&page=2", ["a3", "a4"]),
        ("status=&severity=&q=", ["a4", "a3", "a2", "a1"]),  # an empty form means "any"
    ],
)
def test_filters_come_from_the_url(
    seeded: TriageEnv, client_for: ClientFor, params: str, expected: list[str]
) -> None:
    client, _ = client_for("analyst")
    assert _rows(client.get(f"/alerts?{params}").text) == expected
    api = client.get(f"/api/v1/alerts?{params}").json()
    assert [a["id"] for a in api["items"]] == expected


def test_time_range_is_hanoi_time_in_the_form(seeded: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    since = local_input_value(parse_time((seeded.clock.now - timedelta(minutes=35)).isoformat()))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", since)
    page = client.get(f"/alerts?since={since}").text
    assert _rows(page) == ["a4", "a3"]
    assert f'value="{since}"' in page  # shown back in the form, still Hanoi time


def test_parse_time_reads_offsets_and_defaults_to_hanoi() -> None:
    assert parse_time("2026-11-27T07:00") == "2026-11-27T00:00:00.000000Z"
    assert parse_time("2026-11-27T07:00:00Z") == "2026-11-27T07:00:00.000000Z"
    assert parse_time("2026-11-27T07:00:00+01:00") == "2026-11-27T06:00:00.000000Z"
    assert local_input_value("2026-11-27T00:00:00.000000Z") == "2026-11-27T07:00"


def test_invalid_filters_are_reported_not_fatal(seeded: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts?since=yesterday&severity=apocalyptic")
    assert page.status_code == 200
    assert "Bộ lọc không hợp lệ đã bị bỏ qua." in page.text
    assert _rows(page.text) == ["a4", "a3", "a2", "a1"]
    api = client.get("/api/v1/alerts?since=yesterday")
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_input"


def test_the_refresh_fragment_keeps_the_filters(seeded: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts?host=web-01&sort=oldest").text
    match = re.search(r'data-refresh-url="([^"]+)"', page)
    assert match
    url = html.unescape(match.group(1))
    assert url.startswith("/alerts/rows?") and "host=web-01" in url and "sort=oldest" in url
    fragment = client.get(url)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # results only, no page around them
    assert _rows(fragment.text) == ["a1", "a3"]
    # A new alert for that host shows up on the next refresh.
    seeded.add_alert(
        make_alert("a5", seeded.clock.now, snapshot={"host.name": "web-01"}, rule_id="rule-a5")
    )
    assert _rows(client.get(url).text) == ["a1", "a3", "a5"]


def test_paging_links_keep_filters(seeded: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts?size=25&sort=oldest&status=new").text
    assert "next-page" not in page
    many = client.get("/alerts?sort=oldest&size=1&status=new").text
    link = re.search(r'href="([^"]+)" id="next-page"', many)
    assert link
    href = html.unescape(link.group(1))
    assert QueueQuery.model_validate(dict(re.findall(r"(\w+)=([^&]+)", href.split("?")[1]))) == (
        QueueQuery(sort=AlertSort.oldest, size=1, status=AlertStatus.new, page=2)
    )


def test_queue_page_escapes_what_it_shows(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(
        make_alert(
            "x1",
            datetime(2026, 11, 27, tzinfo=UTC),
            title="<img src=x onerror=alert(1)>",
            snapshot={"host.name": '"><script>alert(1)</script>'},
        )
    )
    client, _ = client_for("analyst")
    page = client.get("/alerts").text
    assert "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_only_triagers_see_the_bulk_controls(seeded: TriageEnv, client_for: ClientFor) -> None:
    analyst, _ = client_for("analyst")
    author, _ = client_for("author")
    assert 'id="bulk-submit"' in analyst.get("/alerts").text
    page = author.get("/alerts").text
    assert _rows(page) == ["a4", "a3", "a2", "a1"] and 'id="bulk-submit"' not in page
