"""``/api/v1/sources`` over a real SQLite store holding the health scenario: the same sources,
order and numbers as the pages, one source in depth, malformed ids refused, hostile text
returned as JSON data."""

from __future__ import annotations

from alerting.triage.sources import source_id
from canhgac.models import AlertFilter

from .conftest import (
    HOSTILE_KEY,
    HOSTILE_LINE,
    HOSTILE_SOURCE,
    SCENARIO_KEYS,
    ClientFor,
    TriageEnv,
)

DB01 = SCENARIO_KEYS[1]


def test_the_api_lists_the_same_sources(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("ops")
    body = client.get("/api/v1/sources").json()
    assert body["generated_at"] == "2026-03-10T04:03:00.000000Z"
    assert body["counts"] == {"failing": 5, "degraded": 0, "unknown": 0, "ok": 1}
    assert [item["id"] for item in body["items"]] == [source_id(k) for k in SCENARIO_KEYS]
    assert [item["label"] for item in body["items"]] == [key.label for key in SCENARIO_KEYS]
    mail = body["items"][3]
    assert (mail["silence_s"], mail["silent_after_s"], mail["events_per_minute"]) == (
        3800.0,
        900.0,
        0.0,
    )
    assert mail["judged_hour"] == "2026-03-10T02:00:00.000000Z"
    assert mail["verdicts"]["live"]["status"] == "failing"
    web = body["items"][5]
    assert {q: v["status"] for q, v in web["verdicts"].items()} == dict.fromkeys(
        ("live", "complete", "correct", "clean"), "ok"
    )
    last = web["hourly"][-1]
    assert len(web["hourly"]) == 24 and last["hour"] == "2026-03-10T03:00:00.000000Z"
    assert (last["events"], last["understood"], last["sequenced"], last["sequence_gaps"]) == (
        60,
        60,
        60,
        0,
    )
    assert (last["skew_median_s"], last["understood_ratio"], last["dead_letter_ratio"]) == (
        2.0,
        1.0,
        0.0,
    )
    app = body["items"][4]
    assert app["hourly"][-1]["skew_median_s"] == 1200.0 and app["hourly"][-1]["future"] == 2


def test_the_api_gives_one_source_in_depth(health_env: TriageEnv, client_for: ClientFor) -> None:
    stored = {a.rule_id: a for a in health_env.store.list_alerts(AlertFilter(limit=100))}
    client, _ = client_for("analyst")
    body = client.get(f"/api/v1/sources/{source_id(DB01)}").json()
    assert body["source"]["label"] == "syslog-tcp / ecab-db01 / system.auth"
    assert body["source"]["verdicts"]["correct"]["status"] == "failing"
    assert [(d["reason_class"], d["count"]) for d in body["dead_letters"]] == [
        ("binary data", 6),
        ("frame exceeds N bytes", 2),
    ]
    assert body["dead_letters"][0]["samples"] == ["\x00\x01\x02\ufffd\ufffd" * 8] * 3
    assert len(body["not_understood"]) == 10
    assert body["not_understood"][0]["ingested"] == "2026-03-10T03:58:10.000000Z"
    by_rule = {a["rule_id"]: a for a in body["alerts"]}
    assert set(by_rule) == {"canhgac-health-not-understood", "canhgac-health-dead-letters"}
    own = by_rule["canhgac-health-not-understood"]
    assert own["id"] == stored["canhgac-health-not-understood"].id
    assert own["scope"] == {"source": "syslog-tcp", "host": "ecab-db01", "dataset": "system.auth"}
    assert (own["severity"], own["status"], own["first_seen"]) == (
        "medium",
        "new",
        "2026-03-10T03:00:00.000000Z",  # hour H, the hour judged
    )


def test_a_malformed_id_is_refused_by_the_api(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    answer = client.get("/api/v1/sources/not=base64url!")
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/sources/" + "A" * 2001).status_code == 422


def test_the_api_returns_hostile_text_as_json_data(
    hostile_health_env: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("analyst")
    answer = client.get(f"/api/v1/sources/{source_id(HOSTILE_KEY)}")
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert (body["source"]["source"], body["source"]["host"]) == (HOSTILE_SOURCE, HOSTILE_SOURCE)
    assert [e["original"] for e in body["not_understood"]] == [
        f"{HOSTILE_LINE} #{i}" for i in (2, 1, 0)
    ]
    assert body["dead_letters"][0]["samples"][0] == HOSTILE_LINE + "\x00\ufffd\ufffd"
