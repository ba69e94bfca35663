"""The analysts' workspace: overview charts, the rules page, the queue's headers and times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

from alerting.triage.actions import TriageActions
from alerting.triage.rule_catalog import RuleCatalog
from alerting.triage.situation import ChartRange, bucket_edges
from canhgac.models import RuleState, Severity
from canhgac.store.triage import CloseReason

from .conftest import ClientFor, TriageEnv, make_alert

XSS = "<img src=x onerror=alert(1)>\"'&"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
RULE = """\
title: Dò mật khẩu SSH <b>brute</b>
id: rule-ssh-brute
status: test
level: high
tags: [attack.credential_access, attack.t1110]
logsource: {product: linux, service: sshd}
detection: {sel: {event.action: failed}, condition: sel}
canhgac: {interval: 5m}
"""


def write_rules(env: TriageEnv, *, hostile_title: str | None = None) -> None:
    folder = env.tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "ssh.yml").write_text(RULE, encoding="utf-8")
    if hostile_title is not None:
        text = RULE.replace("Dò mật khẩu SSH <b>brute</b>", hostile_title.replace("'", "''"))
        text = text.replace("title: ", "title: '", 1).replace(
            "\nid: rule-ssh-brute", "'\nid: rule-xss"
        )
        (folder / "xss.yml").write_text(text, encoding="utf-8")


def seed(env: TriageEnv) -> None:
    now = env.clock.now
    env.add_alert(
        make_alert(
            "a1",
            now - timedelta(minutes=30),
            snapshot={"host.name": XSS, "source.ip": "10.0.0.9"},
            tags=["attack.credential_access", "attack.t1110"],
        )
    )
    env.add_alert(
        make_alert(
            "a2",
            now - timedelta(hours=2),
            severity=Severity.critical,
            rule_id="rule-xss",
            title=XSS,
            snapshot={"source.ip": XSS},
            tags=["attack.initial_access"],
        )
    )
    env.add_alert(make_alert("old", now - timedelta(days=3), snapshot={"host.name": "cũ"}))


def _links(html: str, section: str) -> list[str]:
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return [unquote_plus(h.replace("&amp;", "&")) for h in re.findall(r'href="([^"]+)"', part)]


def test_bucket_edges_follow_hanoi_time() -> None:
    now = datetime(2026, 12, 3, 0, 50, tzinfo=UTC)  # 07:50 in Hanoi
    day = bucket_edges(now, ChartRange.day)
    assert len(day) == 25 and day[-1] == "2026-12-03T01:00:00.000000Z"
    month = bucket_edges(now, ChartRange.month)
    # Hanoi midnight is 17:00 UTC: the last day ends at the coming one.
    assert len(month) == 31 and month[-1] == "2026-12-03T17:00:00.000000Z"
    week = bucket_edges(now, ChartRange.week)
    assert len(week) == 29 and week[-1] == "2026-12-03T05:00:00.000000Z"  # 12:00 Hanoi


def test_overview_charts_count_link_and_escape(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    seed(env)
    TriageActions(env.store, env.triage, assign_channel=None, clock=env.clock).close(
        "analyst", "a1", CloseReason.false_positive
    )
    client, _ = client_for("ops")
    page = client.get("/overview").text
    assert XSS not in page and ESCAPED in page and "onerror=alert(1)>" not in page
    # Over time: two alerts within 24 h, one link per severity segment, with its window.
    segments = [h for h in _links(page, "alerts-over-time") if "severity=" in h]
    assert len(segments) == 2
    query = parse_qs(urlsplit(segments[0]).query)
    assert set(query) == {"severity", "since", "until"}
    # Top rules show titles from the rule files, falling back to the id; links filter the queue.
    rules = page.split('id="top-rules-chart"', 1)[1].split("</section>", 1)[0]
    assert "Dò mật khẩu SSH &lt;b&gt;brute&lt;/b&gt;" in rules and "rule-xss" in rules
    assert any("rule_id=rule-ssh-brute" in h for h in _links(page, "top-rules-chart"))
    assert any(f"host={XSS}" in h for h in _links(page, "top-hosts-chart"))
    tactics = page.split('id="tactics-chart"', 1)[1].split("</section>", 1)[0]
    assert "Đánh cắp thông tin xác thực" in tactics and "Truy cập ban đầu" in tactics
    assert "t1110" not in tactics  # a technique, not a tactic
    assert any("tag=attack.credential_access" in h for h in _links(page, "tactics-chart"))
    # The 3-day-old alert appears only in the 7-day range.
    assert "cũ" not in page
    assert "cũ" in client.get("/overview?range=7d").text
    assert client.get("/overview?range=bogus").status_code == 200
    english = client.get("/overview?lang=en").text
    assert "Credential access" in english and "Alerts over time by severity" in english
    # The schedule shows the rule's title, the id below it.
    detection = page.split('id="detection"', 1)[1]
    assert "Dò mật khẩu SSH &lt;b&gt;brute&lt;/b&gt;" in detection


def test_a_chart_link_lists_what_it_counted(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    seed(env)
    client, _ = client_for("analyst")
    page = client.get("/overview").text
    tactic = next(h for h in _links(page, "tactics-chart") if "initial_access" in h)
    listed = client.get(tactic).text
    assert 'data-alert-id="a2"' in listed and 'data-alert-id="a1"' not in listed
    ip = next(h for h in _links(page, "top-ips-chart") if "10.0.0.9" in h)
    listed = client.get(ip).text
    assert 'data-alert-id="a1"' in listed and 'data-alert-id="a2"' not in listed


def test_rules_page_lists_rules_with_runs_alerts_and_false_positives(
    env: TriageEnv, client_for: ClientFor
) -> None:
    write_rules(env, hostile_title=XSS)
    seed(env)
    TriageActions(env.store, env.triage, assign_channel=None, clock=env.clock).close(
        "analyst", "a1", CloseReason.false_positive
    )
    env.store.save_rule_states(
        [
            RuleState(
                rule_id="rule-ssh-brute",
                watermark="2026-12-01T00:00:00.000000Z",
                last_error="<boom>",
            )
        ]
    )
    client, _ = client_for("author")
    page = client.get("/rules").text
    assert XSS not in page and ESCAPED in page
    row = page.split('id="rule-rule-ssh-brute"', 1)[1].split("</tr>", 1)[0]
    assert "Dò mật khẩu SSH &lt;b&gt;brute&lt;/b&gt;" in row
    assert "linux / sshd" in row and ">5m<" in row and "&lt;boom&gt;" in row
    assert re.search(r'class="num alerts-7d">2<', row)  # a1 and the 3-day-old alert
    assert "100%" in row and "1 trên 1 đã đóng" in row
    assert 'href="/rules/rule-ssh-brute/source"' in row
    source = client.get("/rules/rule-ssh-brute/source").text
    assert "title: Dò mật khẩu SSH &lt;b&gt;brute&lt;/b&gt;" in source
    assert client.get("/rules/nope/source").status_code == 404
    assert "Rules" in client.get("/rules?lang=en").text


def test_rule_catalog_reads_schedules_and_follows_edits(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yml").write_text(RULE, encoding="utf-8")
    catalog = RuleCatalog(folder, timedelta(minutes=1))
    info = catalog.rules()["rule-ssh-brute"]
    assert (info.schedule, info.level, info.logsource) == ("5m", "high", "linux / sshd")
    (folder / "b.yml").write_text("id: r2\ntitle: Hai\ncorrelation: {}\n", encoding="utf-8")
    second = catalog.rules()["r2"]
    assert second.schedule == "1m" and second.is_correlation
    assert RuleCatalog(None, timedelta(minutes=1)).rules() == {}


def test_queue_sorts_by_headers_and_shows_times_by_day(
    env: TriageEnv, client_for: ClientFor
) -> None:
    # Two days, whatever the hour the suite runs at: 30 minutes and 2 hours before 14:00 in
    # Hanoi are one day (before 02:00 they would be two), the third alert is 3 days older.
    env.clock.now = (env.clock.now - timedelta(days=1)).replace(hour=7, minute=0, second=0)
    seed(env)
    client, _ = client_for("analyst")
    page = client.get("/alerts").text
    assert 'id="f-sort"' in page and '<select name="sort"' not in page
    assert 'aria-sort="descending"' in page
    assert re.search(r'id="sort-time"[^>]*>[^<]*▼', page)
    days = re.findall(r'<tr class="day-row"><th[^>]*><time datetime="([0-9-]+)">', page)
    assert len(days) == 2 and days == sorted(days, reverse=True)
    times = re.findall(
        r'<td class="time"><time datetime="[^"]+" title="[^"]+">([^<]+)</time>', page
    )
    assert len(times) == 3 and all(re.fullmatch(r"\d\d:\d\d:\d\d", t) for t in times)
    header = re.search(r'href="(/alerts\?[^"]+)"[^>]*id="sort-time"', page)
    assert header and "sort=oldest" in header.group(1)
    oldest = client.get(header.group(1).replace("&amp;", "&")).text
    assert oldest.index('data-alert-id="old"') < oldest.index('data-alert-id="a1"')
    severity = client.get("/alerts?sort=severity").text
    assert severity.index('data-alert-id="a2"') < severity.index('data-alert-id="a1"')
