"""The event search page, its API and downloads over a real SQLite store."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import yaml
from sigma.rule import SigmaRule

from alerting.triage.hunt_export import neutralised
from tests.alerting.triage.conftest import ClientFor, TriageEnv, make_alert, make_event

XSS = '<img src=x onerror="alert(1)">'


def _seed(env: TriageEnv) -> None:
    now = env.clock.now
    env.store.write_events(
        [
            make_event(
                "ev1",
                now - timedelta(hours=1),
                **{
                    "host.name": "web01",
                    "user.name": XSS,
                    "event.original": f"Failed password for {XSS}",
                },
            ),
            make_event(
                "ev2",
                now - timedelta(hours=2),
                **{
                    "host.name": "web01",
                    "user.name": "=cmd|' /C calc'!A0",
                    "event.original": "Failed password for =cmd",
                },
            ),
            make_event(
                "ev3",
                now - timedelta(hours=3),
                **{
                    "host.name": "db01",
                    "user.name": "Nguyễn Văn A",
                    "source.ip": "10.1.2.3",
                    "event.original": "Accepted password for nguyễn",
                },
            ),
            make_event(
                "old",
                now - timedelta(days=10),
                **{"host.name": "web01", "event.original": "Failed password for root"},
            ),
        ]
    )


def test_search_page_shows_hits_count_histogram_and_top_values_escaped(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    client, _ = client_for("analyst")
    page = client.get("/search", params={"q": "failed"})
    assert page.status_code == 200
    assert 'data-total="2"' in page.text
    assert 'data-event-id="ev1"' in page.text and 'data-event-id="ev2"' in page.text
    assert "old" not in [
        row for row in page.text.split('data-event-id="')[1:] if row.startswith("old")
    ]
    assert XSS not in page.text  # escaped everywhere: results, top values, links
    assert "&lt;img src=x onerror=" in page.text
    assert page.text.count('class="hist-bar"') == 2
    assert 'class="filter-in"' in page.text and 'class="filter-out"' in page.text


def test_filter_out_link_excludes_the_value(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    client, _ = client_for("analyst")
    page = client.get("/search", params={"q": 'host.name:web01 AND NOT user.name:"Nguyễn Văn A"'})
    assert 'data-total="2"' in page.text
    narrowed = client.get(
        "/search", params={"q": "(failed) AND NOT user.name:\"=cmd|' /C calc'!A0\""}
    )
    assert 'data-total="1"' in narrowed.text


def test_a_bad_query_is_shown_with_its_position(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/search", params={"q": "host.name:(web01", "lang": "en"})
    assert page.status_code == 400
    assert 'id="search-error"' in page.text
    assert "at character 16" in page.text


def test_api_search_pages_through_every_hit(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    client, _ = client_for("analyst")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"q": "password", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        answer = client.get("/api/v1/events/search", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total"] == 3
        seen += [event["id"] for event in body["events"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ev1", "ev2", "ev3"]


def test_api_refuses_a_bad_query_and_a_forged_cursor(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    bad = client.get("/api/v1/events/search", params={"q": "a:[1 TO x]"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_query"
    assert client.get("/api/v1/events/search", params={"cursor": "!!"}).status_code == 422
    for start, end in (
        ("0001-01-01T00:00", ""),
        ("", "0001-01-01T00:00"),
        ("2026-01-02", "2026-01-01"),
        ("x", ""),
    ):
        answer = client.get("/api/v1/events/search", params={"start": start, "end": end})
        assert answer.status_code == 422, (start, end)


def test_search_needs_a_reader(env: TriageEnv, client_for: ClientFor) -> None:
    anonymous, _ = client_for(None)
    assert anonymous.get("/api/v1/events/search").status_code == 401
    ops, _ = client_for("ops")
    assert ops.get("/api/v1/events/search").status_code == 403
    assert ops.get("/search").status_code == 403


def test_csv_export_neutralises_formulas_and_keeps_every_hit(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    client, _ = client_for("analyst")
    answer = client.get(
        "/search/export.csv", params={"q": "password", "cols": "user.name,host.name"}
    )
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["user.name", "host.name"]
    assert [row[0] for row in rows[1:]] == [XSS, "'=cmd|' /C calc'!A0", "Nguyễn Văn A"]
    assert neutralised("+1") == "'+1" and neutralised("-1") == "'-1" and neutralised("@x") == "'@x"
    assert neutralised("ok=1") == "ok=1"


def test_ndjson_export_is_one_event_per_line(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    client, _ = client_for("analyst")
    answer = client.get("/search/export.ndjson", params={"q": "host.name:web01"})
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["id"] for line in lines] == ["ev1", "ev2"]
    assert lines[0]["user.name"] == XSS


def test_sigma_draft_is_yaml_that_mirrors_the_query(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("author")
    q = 'host.name:web* AND NOT user.name:"a*b" AND bytes>=10'
    answer = client.get("/search/sigma.yml", params={"q": q})
    assert answer.status_code == 200
    rule = yaml.safe_load(answer.text)
    assert rule["detection"]["selection1"] == {"host.name": "web*"}
    assert rule["detection"]["selection2"] == {"user.name": "a\\*b"}
    assert rule["detection"]["selection3"] == {"bytes|gte": 10}
    assert rule["detection"]["condition"] == "selection1 and not selection2 and selection3"
    assert rule["author"] == "author"
    parsed = SigmaRule.from_yaml(answer.text)  # a rule pySigma reads, condition included
    assert parsed.detection.parsed_condition[0].parsed is not None


def test_entity_pages_show_first_last_seen_related_and_alerts(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    now = env.clock.now
    env.add_alert(make_alert("al1", now - timedelta(hours=1), snapshot={"host.name": "web01"}))
    client, _ = client_for("analyst")
    page = client.get("/entities/host", params={"value": "web01", "lang": "en"})
    assert page.status_code == 200
    assert 'data-total="2"' in page.text  # the event 10 days old is outside the 7-day default
    assert 'data-alert-id="al1"' in page.text
    assert XSS not in page.text and "&lt;img src=x" in page.text  # a related user, escaped
    assert 'href="/entities/user?value=%3Cimg' in page.text  # ... and a pivot to its page
    older = client.get("/entities/host", params={"value": "web01", "from": "2000-01-01T00:00"})
    assert 'data-total="3"' in older.text
    ip = client.get("/entities/ip", params={"value": "10.1.2.3"})
    assert 'data-total="1"' in ip.text and "db01" in ip.text
    assert client.get("/entities/planet", params={"value": "x"}).status_code == 404
    hostile = client.get("/entities/user", params={"value": XSS})
    assert hostile.status_code == 200 and XSS not in hostile.text
