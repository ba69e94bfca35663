"""The alert page: rule, matched events, raw lines, related timeline, history, deliveries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from alerting.triage.alert_view import attack_link, safe_url
from alerting.triage.related import related_events, related_query
from canhgac.models import Notification
from canhgac.store.dialect import DIALECTS
from canhgac.store.elasticsearch.events import related_query as elasticsearch_related_query
from canhgac.store.registry import STORES
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

from .conftest import ClientFor, TriageEnv, make_alert, make_event

HOST = "web-01"
USER = "nguyễn.văn.a"


@pytest.fixture
def incident(env: TriageEnv) -> TriageEnv:
    now = env.clock.now
    seen = now - timedelta(hours=1)
    matched = make_event(
        "e-match",
        seen,
        **{
            "host.name": HOST,
            "user.name": USER,
            "source.ip": "203.0.113.7",
            "message": "Failed password for nguyễn.văn.a",
            "event.original": "<13>Nov 27 sshd[1]: Failed password for nguyễn.văn.a & <b>co</b>",
        },
    )
    events = [
        matched,
        make_event("e-host-before", seen - timedelta(minutes=10), **{"host.name": HOST}),
        make_event(
            "e-user-after", seen + timedelta(minutes=14), **{"user.name": USER, "host.name": "x"}
        ),
        make_event("e-too-late", seen + timedelta(minutes=16), **{"host.name": HOST}),
        make_event("e-other", seen, **{"host.name": "db-01", "user.name": "root"}),
    ]
    alert = make_alert(
        "a1",
        seen,
        title="SSH brute force từ Internet",
        rule_description="Nhiều lần đăng nhập SSH thất bại.",
        event_ids=["e-match", "e-gone"],
        snapshot={"host.name": HOST, "user.name": USER, "source.ip": "203.0.113.7"},
        tags=["attack.credential_access", "attack.t1110.001", "attack.t1021"],
        references=["https://attack.mitre.org/techniques/T1110/", "javascript:alert(1)", "ftp://x"],
        author="SOC Hà Nội",
    )
    env.add_alert(alert, events)
    env.store.enqueue_notifications("a1", ["console"])
    env.store.mark_notification(
        Notification(
            alert_id="a1",
            channel="console",
            status="failed",
            attempts=5,
            last_error="<refused>",
            updated_at=to_iso(now),
        )
    )
    return env


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert match, section_id
    return match.group(1)


def test_rule_metadata_with_attack_links_and_safe_references(
    incident: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("author")
    page = client.get("/alerts/a1").text
    rule = _section(page, "rule")
    assert "Nhiều lần đăng nhập SSH thất bại." in rule and "SOC Hà Nội" in rule
    assert 'href="https://attack.mitre.org/techniques/T1110/001/"' in rule
    assert 'href="https://attack.mitre.org/techniques/T1021/"' in rule
    assert '<span class="tag">attack.credential_access</span>' in rule
    assert rule.count("<a href=") == 3  # two techniques and the one https reference
    assert 'href="javascript' not in rule and "javascript:alert(1)" in rule
    assert 'id="actions"' not in page  # a rule author reads, does not triage


def test_matched_events_highlight_the_alerts_fields_and_show_the_raw_line(
    incident: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("analyst")
    events = _section(client.get("/alerts/a1").text, "events")
    highlighted = re.findall(r'<tr class="hl"><th>([^<]+)</th>', events)
    assert sorted(highlighted) == ["host.name", "source.ip", "user.name"]
    assert "<th>message</th>" in events
    raw = re.search(r'<pre class="original">(.*?)</pre>', events, re.S)
    assert raw and raw.group(1) == (
        "&lt;13&gt;Nov 27 sshd[1]: Failed password for nguyễn.văn.a &amp; &lt;b&gt;co&lt;/b&gt;"
    )
    assert "1 sự kiện không còn trong kho dữ liệu." in events


def test_timeline_has_same_host_or_user_within_fifteen_minutes(
    incident: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("analyst")
    timeline = _section(client.get("/alerts/a1").text, "timeline")
    rows = re.findall(r"<tr( class=\"hl matched\")?>\s*<td><time", timeline)
    assert len(rows) == 3
    assert [bool(r) for r in rows] == [False, True, False]  # before, the match, after
    assert "db-01" not in timeline
    api = client.get("/api/v1/alerts/a1/details").json()
    assert [e["id"] for e in api["timeline"]] == ["e-host-before", "e-match", "e-user-after"]
    assert api["events"][0]["highlighted"] == ["host.name", "source.ip", "user.name"]
    assert api["missing_events"] == 1


def test_history_comments_and_notifications_are_shown(
    incident: TriageEnv, client_for: ClientFor
) -> None:
    client, csrf = client_for("analyst")
    client.post("/alerts/a1/comment", data={"csrf_token": csrf, "text": "Đã chặn IP <tạm thời>"})
    client.post("/alerts/a1/acknowledge", data={"csrf_token": csrf})
    page = client.get("/alerts/a1").text
    assert "Đã chặn IP &lt;tạm thời&gt;" in _section(page, "comments")
    assert "Mới → Đã tiếp nhận" in _section(page, "history")
    notes = _section(page, "notifications")
    assert "console" in notes and "Gửi thất bại" in notes and "&lt;refused&gt;" in notes


def test_a_missing_alert_is_a_404_page(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts/nope")
    assert page.status_code == 404 and "Không tìm thấy" in page.text
    api = client.get("/api/v1/alerts/nope")
    assert api.status_code == 404 and api.json() == {
        "error": {"code": "not_found", "message": "no alert 'nope'"}
    }


def test_every_store_language_has_a_dialect() -> None:
    # Each store's query language is named like its registry key ("sqlite", "elasticsearch").
    assert DIALECTS.names() == STORES.names()
    assert DIALECTS.get(SQLiteStore.query_language) is SQLiteStore.dialect


def test_hostile_values_never_become_query_syntax(env: TriageEnv) -> None:
    nasty = "x' OR 1=1 --\x00\"; DROP TABLE events; \u202e"
    now = env.clock.now
    env.store.write_events(
        [
            make_event("e1", now, **{"host.name": nasty}),
            make_event("e2", now, **{"host.name": "innocent"}),
        ]
    )
    alert = make_alert("a1", now, event_ids=["e1"], snapshot={"host.name": nasty})
    query = related_query(alert)
    assert query is not None
    events, truncated = related_events(env.store, alert, now)
    assert [e.id for e in events] == ["e1"] and not truncated
    es = elasticsearch_related_query(query)
    assert es["bool"]["should"] == [{"term": {"host.name": nasty}}]


def test_alerts_without_host_user_or_source_ip_have_no_timeline(env: TriageEnv) -> None:
    assert related_query(make_alert("a", env.clock.now, snapshot={"url.path": "/x"})) is None


def test_a_firewall_alert_pivots_on_its_source_ip(env: TriageEnv) -> None:
    now = env.clock.now
    nasty = "10.0.0.7"
    env.store.write_events(
        [
            make_event("near", now - timedelta(minutes=5), **{"source.ip": nasty}),
            make_event("other-ip", now, **{"source.ip": "10.0.0.8"}),
            make_event("too-early", now - timedelta(hours=1), **{"source.ip": nasty}),
        ]
    )
    alert = make_alert("fw", now, snapshot={"source.ip": nasty})
    query = related_query(alert)
    assert query is not None and dict(query.values) == {"source.ip": nasty}
    events, truncated = related_events(env.store, alert, now)
    assert [e.id for e in events] == ["near"] and not truncated


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=c", True),
        ("http://example.org", True),
        ("HTTPS://EXAMPLE.ORG", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("vbscript:x", False),
    ],
)
def test_only_plain_http_urls_are_links(url: str, linked: bool) -> None:
    assert (safe_url(url) is not None) is linked


def test_attack_tags_link_to_techniques_only() -> None:
    assert attack_link("attack.t1059.001").url == "https://attack.mitre.org/techniques/T1059/001/"
    assert attack_link("attack.T1059").url == "https://attack.mitre.org/techniques/T1059/"
    assert attack_link("attack.execution").url is None
    assert attack_link("attack.t1059/../../x").url is None
