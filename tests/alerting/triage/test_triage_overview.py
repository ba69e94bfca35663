"""The overview: open alerts, MTTA/MTTR from status history, top rules, ingest and schedule."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from alerting.triage.actions import TriageActions
from alerting.triage.overview import build_overview, response_times
from alerting.triage.rule_index import RuleIndex
from alerting.triage.web.overview import duration
from canhgac.models import AlertStatus, DeadLetter, RuleRun, RuleState, Severity
from canhgac.store.triage import CloseReason
from canhgac.timeutil import to_iso

from .conftest import ClientFor, TriageEnv, make_alert, make_event


def _times(env: TriageEnv, severity: Severity, days: int) -> tuple[float | None, float | None]:
    changes = env.triage.status_changes_since(to_iso(env.clock.now - timedelta(days=30)))
    for r in response_times(changes, env.clock.now):
        if (r.severity, r.days) == (severity, days):
            return r.mtta_seconds, r.mttr_seconds
    raise AssertionError("no row")


def test_mtta_and_mttr_come_from_the_first_response_and_the_first_close(env: TriageEnv) -> None:
    now = env.clock.now
    actions = TriageActions(env.store, env.triage, assign_channel=None, clock=env.clock)
    # Created 10 days ago (outside the 7-day window), and 2 hours ago.
    env.add_alert(make_alert("old", now - timedelta(days=10), severity=Severity.high))
    env.add_alert(make_alert("new", now - timedelta(hours=2), severity=Severity.high))
    env.add_alert(make_alert("low", now - timedelta(hours=1), severity=Severity.low))
    actions.acknowledge("analyst", "old")  # 10 days to acknowledge
    actions.acknowledge("analyst", "new")  # 2 hours
    env.clock.advance(timedelta(hours=1))
    actions.close("analyst", "new", CloseReason.true_positive)  # 3 hours to close
    actions.reopen("analyst", "new")
    env.clock.advance(timedelta(hours=1))
    actions.close("analyst", "new", CloseReason.benign)  # not counted again
    assert _times(env, Severity.high, 7) == (2 * 3600, 3 * 3600)
    mtta_30, mttr_30 = _times(env, Severity.high, 30)
    assert mtta_30 == (2 * 3600 + (10 * 86400 + 0)) / 2 and mttr_30 == 3 * 3600
    assert _times(env, Severity.low, 7) == (None, None)
    assert _times(env, Severity.critical, 30) == (None, None)


def test_overview_counts_open_alerts_top_rules_and_ingest(env: TriageEnv) -> None:
    now = env.clock.now
    for i in range(3):
        env.add_alert(make_alert(f"h{i}", now - timedelta(minutes=i), rule_id="r-ssh", title="SSH"))
    env.add_alert(make_alert("c1", now, severity=Severity.critical, rule_id="r-sudo", title="Sudo"))
    closed = env.store.get_alert("h0")
    assert closed is not None
    env.store.update_alert(closed.model_copy(update={"status": AlertStatus.closed}))
    web = [
        make_event(f"e{i}", now - timedelta(seconds=30), **{"event.dataset": "nginx.access"})
        for i in range(30)
    ]
    env.store.write_events([*web, make_event("a1", now, **{"event.dataset": "system.auth"})])
    env.store.write_dead_letters(
        [DeadLetter("d1", "syslog-udp", "unparsable", b"\xff", to_iso(now))]
    )
    env.store.complete_window(
        RuleState(rule_id="r-ssh", watermark=to_iso(now - timedelta(minutes=3))),
        RuleRun(rule_id="r-ssh", window_start="a", window_end="b", matches=0, finished_at="c"),
    )
    real_now = env.clock.now + timedelta(seconds=5)  # events were stored a moment ago
    overview = build_overview(env.store, env.triage, real_now, lambda: ["r-ssh", "r-idle"])
    assert overview.open_by_severity[Severity.high] == 2
    assert overview.open_by_severity[Severity.critical] == 1
    assert [(r.rule_id, r.alerts) for r in overview.top_rules] == [("r-ssh", 3), ("r-sudo", 1)]
    assert {d.dataset: round(d.per_minute * 15) for d in overview.datasets} == {
        "nginx.access": 30,
        "system.auth": 1,
    }
    assert (overview.events_total, overview.dead_letters) == (31, 1)
    delays = {r.rule_id: r.delay_seconds for r in overview.rules}
    assert delays["r-idle"] is None and 180 <= (delays["r-ssh"] or 0) <= 200
    assert [r.rule_id for r in overview.rules] == ["r-idle", "r-ssh"]  # never-run first


def test_the_overview_page_and_api(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(make_alert("a1", env.clock.now, severity=Severity.medium))
    client, _ = client_for("ops")
    page = client.get("/overview")
    assert page.status_code == 200
    open_bars = page.text.split('id="open-bars"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r'href="/alerts\?severity=medium" class="bar-label">.*?<td class="num">1</td>',
        open_bars,
        re.S,
    )
    assert "rule-never-run" in page.text and "Chưa chạy" in page.text
    # A failed run's error, stored by the detector's process, is shown here (escaped).
    failed = RuleState(
        rule_id="rule-ssh-brute",
        watermark=to_iso(env.clock.now),
        last_error="StoreError: query <rejected> & retried",
    )
    env.store.save_rule_states([failed])
    page = client.get("/overview")
    assert "StoreError: query &lt;rejected&gt; &amp; retried" in page.text
    api = client.get("/api/v1/overview").json()
    assert api["open_by_severity"]["medium"] == 1
    assert len(api["response_times"]) == 10


def test_rule_index_reads_ids_and_follows_edits(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "linux").mkdir(parents=True)
    (rules / "linux" / "ssh.yml").write_text("id: r-1\ntitle: x\ndetection: {}\n")
    (rules / "pipelines.yml").write_text("name: pipeline\ntransformations: []\n")
    (rules / "broken.yml").write_text("id: [unclosed\n")
    index = RuleIndex(rules)
    assert index() == ["r-1"]
    (rules / "linux" / "sudo.yaml").write_text("id: r-2\ncorrelation: {}\n")
    assert index() == ["r-1", "r-2"]
    assert RuleIndex(None)() == [] and RuleIndex(tmp_path / "missing")() == []


def test_durations_read_well() -> None:
    assert [duration(s) for s in (None, 45, 600, 5400, 3 * 86400)] == [
        "—",
        "45 s",
        "10 min",
        "1.5 h",
        "3.0 d",
    ]
