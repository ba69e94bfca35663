"""The health job on a real SQLite store: one healthy, one silent, one not-understood and one
clock-skewed source (plus dead letters and a sequence gap), judged an hour later."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.health.monitor import HealthMonitor, HealthRun
from alerting.health.report import list_sources, source_detail
from alerting.health.rules import HEALTH_RULES
from canhgac.config import HealthConfig, HealthSourceConfig
from canhgac.health.model import Quality, SourceKey, Status
from canhgac.models import Alert, AlertFilter
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso
from tests.support.health_scenario import HOUR, MINUTE, Clock, H, load

WEB = SourceKey(source="syslog-tcp", host="ecab-web01", dataset="system.auth")
DB = SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth")
APP = SourceKey(source="syslog-udp", host="ecab-app01", dataset="system.auth")
MAIL = SourceKey(source="syslog-tcp", host="ecab-mail01", dataset="system.auth")
JUDGED_AT = H + HOUR + 3 * MINUTE


def route(alert: Alert) -> list[str]:
    return ["console"]


@pytest.fixture
def clock() -> Clock:
    return Clock(H - 3 * HOUR)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF", now=clock.iso)
    load(s, clock)
    clock.now = JUDGED_AT
    yield s
    s.close()


def monitor(store: SQLiteStore, clock: Clock, config: HealthConfig | None = None) -> HealthMonitor:
    return HealthMonitor(store, config or HealthConfig(), route=route, clock=clock)


def once(job: HealthMonitor) -> HealthRun:
    run = job.run_once()
    assert run is not None  # no lease owner: always runs
    return run


def alerts_by_rule(store: SQLiteStore) -> dict[str, list[Alert]]:
    found: dict[str, list[Alert]] = {}
    for alert in store.list_alerts(AlertFilter(limit=1000)):
        found.setdefault(alert.rule_id, []).append(alert)
    return found


def test_one_run_raises_one_alert_per_problem(store: SQLiteStore, clock: Clock) -> None:
    run = once(monitor(store, clock))
    # H-23h .. H: the backfill, every hour that has settled
    assert run.computed_hours[0] == to_iso(H - 23 * HOUR)
    assert run.computed_hours[-1] == to_iso(H)
    assert len(run.computed_hours) == 24
    alerts = alerts_by_rule(store)
    assert Counter({rule: len(found) for rule, found in alerts.items()}) == Counter(
        {
            "canhgac-health-silent": 1,
            "canhgac-health-not-understood": 1,
            "canhgac-health-clock-skew": 1,
            "canhgac-health-sequence-gaps": 1,
            "canhgac-health-dead-letters": 1,
        }
    )
    (silent,) = alerts["canhgac-health-silent"]
    assert silent.group_key == {
        "source": "syslog-tcp",
        "host": "ecab-mail01",
        "dataset": "system.auth",
    }
    assert silent.severity == "high"
    assert silent.first_seen == to_iso(H - MINUTE + timedelta(seconds=40))
    assert "không nhận được log nào trong 63 min" in silent.rule_description
    (not_understood,) = alerts["canhgac-health-not-understood"]
    assert not_understood.snapshot["host.name"] == "ecab-db01"
    assert not_understood.rule_description.splitlines() == [
        "syslog-tcp / ecab-db01 / system.auth: 0 % dòng log được hiểu trong giờ qua (trước đó 100 %)",
        "syslog-tcp / ecab-db01 / system.auth: 0 % of lines understood in the last hour (was 100 %)",
    ]
    assert not_understood.count == 10  # linked sample events, the lines in question
    (skew,) = alerts["canhgac-health-clock-skew"]
    assert skew.snapshot["host.name"] == "ecab-app01"
    assert skew.snapshot["health.skew_median_s"] == 1200.0
    (dead,) = alerts["canhgac-health-dead-letters"]
    assert dead.group_key == {"source": "syslog-tcp", "host": "", "dataset": ""}
    assert dead.snapshot["health.dead_letters"] == 8
    (gaps,) = alerts["canhgac-health-sequence-gaps"]
    assert gaps.snapshot["host.name"] == "ecab-log01"
    assert gaps.snapshot["health.sequence_gaps"] == 2
    # every new alert went to the outbox, once
    assert len(store.pending_notifications(limit=100)) == 5
    assert {rule for rule in alerts} <= set(HEALTH_RULES)


def test_repeated_runs_repeat_no_alert(store: SQLiteStore, clock: Clock) -> None:
    job = monitor(store, clock)
    first = once(job)
    assert sum(w.created for w in first.alerts) == 5
    again = once(job)
    assert again.computed_hours == []
    assert [w.created for w in again.alerts] == [False]  # the same silence, merged
    clock.now = JUDGED_AT + 10 * MINUTE
    later = once(job)
    assert [(w.alert.rule_id, w.created) for w in later.alerts] == [
        ("canhgac-health-silent", False)
    ]
    assert later.alerts[0].alert.last_seen == to_iso(clock.now)
    # a new process recomputes nothing and raises nothing new either
    fresh = once(monitor(store, clock))
    assert not any(w.created for w in fresh.alerts)
    assert len(store.list_alerts(AlertFilter(limit=1000))) == 5
    assert len(store.pending_notifications(limit=100)) == 5


def test_verdicts_of_each_source(store: SQLiteStore, clock: Clock) -> None:
    job = monitor(store, clock)
    run = once(job)
    by_key = {source.key: source for source in run.sources}

    def status(key: SourceKey) -> dict[Quality, Status]:
        return {quality: verdict.status for quality, verdict in by_key[key].verdicts.items()}

    assert status(WEB) == dict.fromkeys(Quality, Status.ok)
    assert status(MAIL)[Quality.live] is Status.failing
    assert status(DB)[Quality.correct] is Status.failing
    assert status(DB)[Quality.live] is Status.ok
    assert status(APP)[Quality.correct] is Status.failing
    assert by_key[MAIL].silent_after_s == 900.0  # the floor: it usually sends every minute
    assert by_key[MAIL].silence_s == pytest.approx(63 * 60 + 20)
    assert job.silent_sources() == [MAIL]


def test_an_override_and_a_nightly_rhythm_are_not_silence(store: SQLiteStore, clock: Clock) -> None:
    config = HealthConfig(
        sources={
            "syslog-tcp / ecab-mail01 / system.auth": HealthSourceConfig(
                silent_after=timedelta(hours=2)
            )
        }
    )
    run = once(monitor(store, clock, config))
    assert "canhgac-health-silent" not in {w.alert.rule_id for w in run.alerts}


def test_the_ui_queries(store: SQLiteStore, clock: Clock) -> None:
    config = HealthConfig()
    once(monitor(store, clock, config))
    sources = list_sources(store.health(), config, clock.now)
    keys = [s.key for s in sources]
    assert {WEB, DB, APP, MAIL} <= set(keys)
    web = next(s for s in sources if s.key == WEB)
    assert len(web.hourly) == 24
    assert [b.events for b in web.hourly[-4:]] == [60, 60, 60, 60]
    assert web.hourly[0].events == 0
    detail = source_detail(store.health(), config, DB, clock.now)
    assert detail.health.verdicts[Quality.correct].status is Status.failing
    assert len(detail.not_understood) == 10
    assert [(d.reason_class, d.count) for d in detail.dead_letters] == [
        ("binary data", 6),
        ("frame exceeds N bytes", 2),
    ]


def test_a_source_that_comes_back_is_live_again(store: SQLiteStore, clock: Clock) -> None:
    from ingest.parse.base import Origin
    from ingest.parse.record import to_record
    from tests.support.health_scenario import ACCEPTED, sshd

    job = monitor(store, clock)
    once(job)
    clock.now = JUDGED_AT + MINUTE
    origin = Origin(
        source="syslog-tcp", identity="back", received_at=clock.iso(), peer="10.0.0.14:1"
    )
    event = to_record(sshd(clock.now, "ecab-mail01", ACCEPTED), origin, 1)
    store.write_events([event])  # type: ignore[list-item]
    clock.now += MINUTE
    run = once(job)
    mail = next(s for s in run.sources if s.key == MAIL)
    assert mail.verdicts[Quality.live].status is Status.ok
    assert job.silent_sources() == []


def test_only_the_lease_holder_runs(store: SQLiteStore, clock: Clock) -> None:
    first = HealthMonitor(store, HealthConfig(), clock=clock, owner="detector-1")
    second = HealthMonitor(store, HealthConfig(), clock=clock, owner="detector-2")
    assert first.run_once() is not None
    assert second.run_once() is None
