"""Incidents through the API and the pages: grouping alerts, the header, comments, tasks,
close and reopen, MTTA/MTTR, the audit trail, roles, CSRF and escaping."""

from __future__ import annotations

import re
from datetime import timedelta

from alerting.triage.incident_actions import IncidentActions
from canhgac.config import AlertingConfig
from canhgac.models import Severity
from canhgac.store.incidents import IncidentFilter, IncidentStatus
from tests.alerting.triage.conftest import ClientFor, TriageEnv, make_alert

XSS = '<img src=x onerror="alert(1)">'


def _seed(env: TriageEnv) -> None:
    seen = env.clock.now - timedelta(minutes=30)
    env.add_alert(make_alert("a1", seen, snapshot={"source.ip": "203.0.113.9"}))
    env.add_alert(
        make_alert(
            "a2",
            seen + timedelta(minutes=5),
            severity=Severity.critical,
            snapshot={"host.name": "web-01"},
        )
    )
    env.add_alert(make_alert("a3", seen, severity=Severity.low))


def test_api_incident_lifecycle_with_response_times_and_audit(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    client, csrf = client_for("analyst")
    headers = {"X-CSRF-Token": csrf}
    created = client.post(
        "/api/v1/incidents",
        json={"title": f"Dò mật khẩu {XSS}", "alert_ids": ["a1"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    iid = incident["id"]
    assert incident["status"] == "open" and incident["severity"] == "high"
    assert incident["entities"] == ["source.ip=203.0.113.9"]

    env.clock.advance(timedelta(minutes=10))
    added = client.post(
        f"/api/v1/incidents/{iid}/alerts", json={"alert_ids": ["a2", "a1"]}, headers=headers
    )
    assert added.json()["alert_ids"] == ["a1", "a2"]
    assert added.json()["severity"] == "critical"  # raised by a2
    # Adding alerts it holds already changes nothing (and audits nothing).
    again = client.post(
        f"/api/v1/incidents/{iid}/alerts", json={"alert_ids": ["a2"]}, headers=headers
    )
    assert again.json()["revision"] == added.json()["revision"]

    env.clock.advance(timedelta(minutes=5))
    owned = client.post(
        f"/api/v1/incidents/{iid}/assign", json={"owner": "analyst2"}, headers=headers
    )
    assert owned.json()["owner"] == "analyst2" and owned.json()["status"] == "investigating"
    task = client.post(
        f"/api/v1/incidents/{iid}/tasks", json={"text": "Chặn IP ở tường lửa"}, headers=headers
    ).json()["tasks"][0]
    ticked = client.post(
        f"/api/v1/incidents/{iid}/tasks/{task['id']}", json={"done": True}, headers=headers
    ).json()
    assert ticked["tasks"][0]["done"] is True and ticked["tasks"][0]["done_by"] == "analyst"
    client.post(f"/api/v1/incidents/{iid}/comments", json={"text": XSS}, headers=headers)
    env.clock.advance(timedelta(minutes=45))
    closed = client.post(
        f"/api/v1/incidents/{iid}/close", json={"reason": "true_positive"}, headers=headers
    )
    assert closed.json()["status"] == "closed" and closed.json()["close_reason"] == "true_positive"
    assert (
        client.post(
            f"/api/v1/incidents/{iid}/close", json={"reason": "benign"}, headers=headers
        ).status_code
        == 409
    )

    details = client.get(f"/api/v1/incidents/{iid}/details").json()
    assert details["mtta_seconds"] == 15 * 60  # created -> assigned
    assert details["mttr_seconds"] == 60 * 60  # created -> closed
    kinds = [(e["kind"], e["alert_id"] or e["action"]) for e in details["timeline"]]
    assert kinds[:3] == [("alert", "a1"), ("alert", "a2"), ("action", "incident.create")]
    assert kinds[-1] == ("action", "incident.close")
    assert [e["at"] for e in details["timeline"]] == sorted(e["at"] for e in details["timeline"])
    listing = client.get("/incidents?status=closed").text
    assert '<td class="num mtta">15 min</td><td class="num mttr">60 min</td>' in listing

    audit = [e for e in env.triage.list_audit(limit=50) if e.target == f"incident:{iid}"]
    assert [e.action for e in reversed(audit)] == [
        "incident.create",
        "incident.add_alerts",
        "incident.assign",
        "incident.task_add",
        "incident.task",
        "incident.comment",
        "incident.close",
    ]
    assert audit[0].before is not None and audit[0].before["status"] == "investigating"
    assert audit[0].after is not None and audit[0].after["close_reason"] == "true_positive"

    reopened = client.post(f"/api/v1/incidents/{iid}/reopen", headers=headers).json()
    assert reopened["status"] == "investigating" and reopened["close_reason"] is None


def test_api_list_filters_and_errors(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    client, csrf = client_for("analyst")
    headers = {"X-CSRF-Token": csrf}
    for title, severity in (("một", "low"), ("hai", "critical"), ("ba", "medium")):
        client.post(
            "/api/v1/incidents", json={"title": title, "severity": severity}, headers=headers
        )
        env.clock.advance(timedelta(minutes=1))
    titles = [i["title"] for i in client.get("/api/v1/incidents?sort=severity").json()["items"]]
    assert titles == ["hai", "ba", "một"]
    assert [i["title"] for i in client.get("/api/v1/incidents?severity=low").json()["items"]] == [
        "một"
    ]
    assert client.get("/api/v1/incidents?status=bogus").status_code == 422
    assert client.get("/api/v1/incidents/nope").status_code == 404
    unknown = client.post("/api/v1/incidents", json={"alert_ids": ["nope"]}, headers=headers)
    assert unknown.status_code == 404
    empty_title = client.post("/api/v1/incidents", json={"title": "  "}, headers=headers)
    assert empty_title.status_code == 422
    closing = client.post("/api/v1/incidents/x/status", json={"status": "closed"}, headers=headers)
    assert closing.status_code == 422


def test_readers_read_but_only_analysts_act(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    analyst, csrf = client_for("analyst")
    iid = analyst.post(
        "/api/v1/incidents",
        json={"title": "t", "alert_ids": ["a1"]},
        headers={"X-CSRF-Token": csrf},
    ).json()["id"]
    author, author_csrf = client_for("author")
    assert author.get(f"/api/v1/incidents/{iid}").status_code == 200
    page = author.get(f"/incidents/{iid}")
    assert page.status_code == 200 and 'id="incident-comment-text"' not in page.text
    refused = author.post(
        f"/api/v1/incidents/{iid}/comments",
        json={"text": "x"},
        headers={"X-CSRF-Token": author_csrf},
    )
    assert refused.status_code == 403
    ops, _ = client_for("ops")
    assert ops.get("/incidents").status_code == 403
    # A session change without the CSRF token is refused.
    assert analyst.post(f"/api/v1/incidents/{iid}/comments", json={"text": "x"}).status_code == 403
    assert analyst.post(f"/incidents/{iid}/comment", data={"text": "x"}).status_code == 403


def test_pages_group_from_the_queue_and_the_alert_page(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    client, csrf = client_for("analyst")
    queue = client.get("/alerts")
    assert 'formaction="/incidents"' in queue.text and 'id="pick-create"' in queue.text
    made = client.post(
        "/incidents",
        data={"csrf_token": csrf, "ids": ["a1", "a3"], "title": XSS, "back": "status=new"},
    )
    assert made.status_code == 303
    iid = made.headers["location"].split("/incidents/")[1].split("?")[0]
    # From the alert page: add a2 to it.
    alert_page = client.get("/alerts/a2")
    assert f'value="{iid}"' in alert_page.text
    added = client.post(
        "/incidents/add-alerts",
        data={"csrf_token": csrf, "ids": "a2", "incident_id": iid, "back": "/alerts/a2"},
    )
    assert added.headers["location"] == f"/incidents/{iid}?notice=done_incident_add_alerts"
    assert "/incidents/" + iid in client.get("/alerts/a2").text  # "in incidents"
    # Nothing chosen: back to where the form was, with the reason.
    none = client.post(
        "/incidents/add-alerts",
        data={"csrf_token": csrf, "ids": "a2", "back": "status=new&size=25"},
    )
    assert none.headers["location"] == "/alerts?status=new&size=25&notice=no_incident"
    offsite = client.post(
        "/incidents/add-alerts", data={"csrf_token": csrf, "back": "//evil.example/x"}
    )
    assert offsite.headers["location"].startswith("/alerts?")

    page = client.get(f"/incidents/{iid}")
    assert XSS not in page.text and "&lt;img src=x onerror=" in page.text
    listing = client.get("/incidents")
    assert XSS not in listing.text and f'href="/incidents/{iid}"' in listing.text


def test_page_forms_comment_tick_and_close(env: TriageEnv, client_for: ClientFor) -> None:
    _seed(env)
    client, csrf = client_for("analyst")
    made = client.post(
        "/incidents", data={"csrf_token": csrf, "title": "Sự cố web", "severity": "high"}
    )
    iid = made.headers["location"].split("/incidents/")[1].split("?")[0]
    assert (
        client.post(f"/incidents/{iid}/comment", data={"csrf_token": csrf, "text": XSS}).status_code
        == 303
    )
    client.post(f"/incidents/{iid}/tasks", data={"csrf_token": csrf, "text": "Thu thập nhật ký"})
    incident = env.store.incidents().get_incident(iid)
    assert incident is not None
    task_id = incident.tasks[0].id
    client.post(f"/incidents/{iid}/tasks/{task_id}", data={"csrf_token": csrf, "done": "true"})
    client.post(f"/incidents/{iid}/status", data={"csrf_token": csrf, "status": "contained"})
    closed = client.post(f"/incidents/{iid}/close", data={"csrf_token": csrf, "reason": "benign"})
    assert closed.headers["location"].endswith("notice=done_incident_close")
    stored = env.store.incidents().get_incident(iid)
    assert stored is not None and stored.status is IncidentStatus.closed
    assert stored.tasks[0].done and stored.comments[0].text == XSS
    page = client.get(f"/incidents/{iid}?lang=en")
    assert "Closed" in page.text and "Benign" in page.text and XSS not in page.text
    again = client.post(f"/incidents/{iid}/close", data={"csrf_token": csrf, "reason": "benign"})
    assert again.headers["location"].endswith("notice=closed")


def test_creating_twice_with_one_request_id_opens_one_incident(
    env: TriageEnv, client_for: ClientFor
) -> None:
    _seed(env)
    client, csrf = client_for("analyst")
    queue = client.get("/alerts").text
    token = re.search(r'name="request_id" value="([0-9a-f]{24})"', queue)
    assert token is not None
    form = {"csrf_token": csrf, "ids": ["a1"], "request_id": token.group(1)}
    first = client.post("/incidents", data=form)
    second = client.post("/incidents", data=form)  # a double click
    assert first.headers["location"] == second.headers["location"]
    assert len(env.store.incidents().list_incidents(IncidentFilter())) == 1
    body = {"title": "API", "request_id": "retry-0001"}
    headers = {"X-CSRF-Token": csrf}
    made = client.post("/api/v1/incidents", json=body, headers=headers).json()
    assert client.post("/api/v1/incidents", json=body, headers=headers).json() == made
    # Another analyst's identical request id is another request.
    other, other_csrf = client_for("analyst2")
    theirs = other.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": other_csrf})
    assert theirs.json()["id"] != made["id"]
    created = [e for e in env.triage.list_audit(limit=50) if e.action == "incident.create"]
    assert len(created) == 3


def test_concurrent_changes_are_merged_not_lost(env: TriageEnv) -> None:
    _seed(env)
    actions = IncidentActions(env.store.incidents(), env.store, env.triage, clock=env.clock)
    incident = actions.create("analyst", "t")
    stale = env.store.incidents().get_incident(incident.id)
    assert stale is not None
    actions.comment("analyst", incident.id, "một")
    # A writer holding the stale revision is refused by the store ...
    assert not env.store.incidents().replace_incident(
        stale.model_copy(update={"title": "x"}), stale.revision
    )
    # ... while the service re-reads and applies: both comments are kept.
    actions.comment("analyst2", incident.id, "hai")
    stored = actions.get(incident.id)
    assert [c.text for c in stored.comments] == ["một", "hai"]


def test_escalation_sends_the_incident_through_the_case_channel(env: TriageEnv) -> None:
    from fastapi.testclient import TestClient

    from tests.alerting.notify.conftest import HttpReceiver

    from .conftest import login

    receiver = HttpReceiver(default=(201, '{"_id": "~1"}'))
    try:
        hive = {"type": "thehive", "name": "hive", "url": receiver.url, "api_key": "K"}
        env.settings = env.settings.model_copy(
            update={
                "alerting": AlertingConfig.model_validate(
                    {"channels": [{"type": "console"}, hive]}
                ),
                "web": env.settings.web.model_copy(update={"public_url": "https://soc.example"}),
            }
        )
        _seed(env)
        with TestClient(env.app(), follow_redirects=False) as client:
            headers = {"X-CSRF-Token": login(client, "analyst")}
            iid = client.post(
                "/api/v1/incidents", json={"title": XSS, "alert_ids": ["a1"]}, headers=headers
            ).json()["id"]
            page = client.get(f"/incidents/{iid}")
            assert '<option value="hive">' in page.text and "console" not in page.text
            sent = client.post(
                f"/api/v1/incidents/{iid}/escalate", json={"channel": "hive"}, headers=headers
            )
            assert sent.status_code == 200, sent.text
            assert sent.json()["actions"][-1]["detail"] == {"channel": "hive"}
            [(path, _headers, body)] = receiver.requests
            assert path == "/api/v1/alert"
            assert (
                body["sourceRef"] == iid
                and body["title"] == f"[HIGH] {XSS}"
                and body["severity"] == 3
            )
            assert body["externalLink"] == f"https://soc.example/incidents/{iid}"
            assert body["observables"] == [
                {"dataType": "ip", "data": "203.0.113.9", "message": "source.ip"}
            ]
            unknown = client.post(
                f"/api/v1/incidents/{iid}/escalate", json={"channel": "console"}, headers=headers
            )
            assert unknown.status_code == 422
            receiver.default = (500, "down")
            failed = client.post(
                f"/incidents/{iid}/escalate",
                data={"channel": "hive", "csrf_token": headers["X-CSRF-Token"]},
            )
            assert failed.headers["location"].endswith("notice=escalation_failed")
        escalations = [
            a
            for a in env.store.incidents().get_incident(iid).actions
            if a.action == "incident.escalate"
        ]  # type: ignore[union-attr]
        assert len(escalations) == 1
        audited = [
            e.action for e in env.triage.list_audit(limit=20) if e.target == f"incident:{iid}"
        ]
        assert audited.count("incident.escalate") == 1
    finally:
        receiver.close()


def test_the_running_process_store_proxy_keeps_incidents(env: TriageEnv) -> None:
    """``canhgac run`` hands the web UI the metrics proxy of the store: it still has incidents
    (and the other optional parts the UI looks for)."""
    from alerting.triage.app import alert_stats_of, health_of, incidents_of
    from canhgac.cli.telemetry import instrumented
    from canhgac.metrics import Metrics

    proxy = instrumented(env.store, Metrics())
    actions = incidents_of(proxy, env.triage, env.clock)
    assert actions is not None
    made = actions.create("analyst", "qua proxy")
    assert env.store.incidents().get_incident(made.id) == made
    assert alert_stats_of(proxy) is not None and health_of(proxy) is not None
