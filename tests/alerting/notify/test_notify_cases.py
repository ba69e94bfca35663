"""Hand-off to case management against a real HTTP server on 127.0.0.1: TheHive 5 alerts,
DFIR-IRIS alerts and Jira issues, each with its documented request (path, auth, body), log
values escaped for the target's markup and the link to the alert in the UI."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore

LINK = "https://soc.hanoi.example/alerts/alert-0001"
TITLE = "[HIGH] Đăng nhập SSH thất bại nhiều lần"
ZWSP = "\u200b"
USER = "nguyễn.văn.an @everyone <!channel> & *đậm* [a](http://evil) {code}|x"
CONTEXT = {"host.name": "máy-chủ-01 <b>x</b>", "user.name": USER, "source.ip": "2001:db8::7"}
MARKDOWN_FACTS = [
    r"- host.name: máy-chủ-01 \<b\>x\</b\>",
    f"- user.name: nguyễn.văn.an @{ZWSP}everyone "
    r"\<!channel\> & \*đậm\* \[a\]\(http\://evil\) {code}\|x",
    r"- source.ip: 2001\:db8\:\:7",
    r"- Thời gian: 2026-11-27 10\:04\:05 +07 \(UTC+07\:00\)",
    "- Số sự kiện: 2",
    "- Quy tắc: ssh-bruteforce",
]


def deliver(
    store: SQLiteStore, alert: Alert, channel: dict[str, Any], clock: Callable[[], datetime]
) -> DispatchReport:
    config = AlertingConfig.model_validate({"channels": [channel]}).channels[0]
    built = CHANNELS.get(config.type)(config, AlertLinks("https://soc.hanoi.example"))
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, [config.name])
    return Dispatcher(store, {config.name: built}, clock=clock).run_once()


def test_thehive_creates_an_alert_with_observables(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (201, '{"_id": "~4264"}')
    channel = {
        "type": "thehive",
        "name": "hive",
        "url": f"{http_receiver.url}/",
        "api_key": "hive-KEY",
        "organisation": "so-tt-tt-ha-noi",
        "tlp": 3,
    }
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, headers, body)] = http_receiver.requests
    assert path == "/api/v1/alert"
    assert headers["Authorization"] == "Bearer hive-KEY"
    assert headers["X-Organisation"] == "so-tt-tt-ha-noi"
    assert body == {
        "type": "canhgac",
        "source": "canhgac",
        "sourceRef": "alert-0001",
        "title": TITLE,
        "description": "\n".join(
            [
                r"**\[HIGH\] Đăng nhập SSH thất bại nhiều lần**",
                "",
                "Nhiều lần đăng nhập SSH thất bại từ một địa chỉ IP.",
                "",
                *MARKDOWN_FACTS,
                "",
                f"[Mở cảnh báo]({LINK})",
            ]
        ),
        "severity": 3,
        "date": 1795748645000,  # 2026-11-27T03:04:05Z in epoch milliseconds
        "tags": ["attack.credential_access", "rule:ssh-bruteforce"],
        "tlp": 3,
        "pap": 2,
        "observables": [
            {"dataType": "hostname", "data": "máy-chủ-01 <b>x</b>", "message": "host.name"},
            {"dataType": "other", "data": USER, "message": "user.name"},
            {"dataType": "ip", "data": "2001:db8::7", "message": "source.ip"},
        ],
        "externalLink": LINK,
    }


def test_thehive_refusing_a_repeat_counts_as_delivered(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (
        400,
        '{"type": "CreateError", "message": "Alert canhgac:canhgac:alert-0001 already exists"}',
    )
    channel = {"type": "thehive", "name": "hive", "url": http_receiver.url, "api_key": "k"}
    assert deliver(store, make_alert(), channel, clock) == DispatchReport(sent=1)


def test_thehive_bad_key_fails_for_good(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (401, '{"type": "AuthenticationError"}')
    channel = {"type": "thehive", "name": "hive", "url": http_receiver.url, "api_key": "k"}
    alert = make_alert()
    assert deliver(store, alert, channel, clock) == DispatchReport(failed=1)
    [row] = store.list_notifications(alert.id)
    assert row.last_error == (
        f'thehive {http_receiver.url} answered HTTP 401: {{"type": "AuthenticationError"}}'
    )


def test_dfir_iris_adds_an_alert(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, '{"status": "success", "data": {"alert_id": 12}}')
    channel = {
        "type": "dfir_iris",
        "name": "iris",
        "url": http_receiver.url,
        "api_key": "iris-KEY",
        "customer_id": 3,
    }
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, headers, body)] = http_receiver.requests
    assert path == "/alerts/add"
    assert headers["Authorization"] == "Bearer iris-KEY"
    assert body == {
        "alert_title": TITLE,
        "alert_description": "\n".join(
            ["Nhiều lần đăng nhập SSH thất bại từ một địa chỉ IP.", "", *MARKDOWN_FACTS]
        ),
        "alert_source": "canhgac",
        "alert_source_ref": "alert-0001",
        "alert_source_link": LINK,
        "alert_source_content": {
            "alert_id": "alert-0001",
            "rule_id": "ssh-bruteforce",
            "severity": "high",
            "count": 2,
            **CONTEXT,
        },
        "alert_source_event_time": "2026-11-27T03:04:05.000000Z",
        "alert_severity_id": 5,
        "alert_status_id": 2,
        "alert_customer_id": 3,
        "alert_tags": "attack.credential_access,rule:ssh-bruteforce",
        "alert_context": CONTEXT,
    }


def test_dfir_iris_error_status_in_a_200_is_a_failure(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, '{"status": "error", "message": "Data error"}')
    channel = {"type": "dfir_iris", "name": "iris", "url": http_receiver.url, "api_key": "k"}
    alert = make_alert()
    assert deliver(store, alert, channel, clock) == DispatchReport(retrying=1)
    [row] = store.list_notifications(alert.id)
    assert row.last_error == f"dfir_iris {http_receiver.url}: answer status 'error'"


def test_jira_creates_an_issue_with_wiki_markup_escaped(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (201, '{"id": "10000", "key": "SOC-24"}')
    channel = {
        "type": "jira",
        "name": "jira",
        "url": http_receiver.url,
        "project": "SOC",
        "issue_type": "Sự cố",
        "email": "soc@hanoi.example",
        "token": "jira-TOKEN",
    }
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, headers, body)] = http_receiver.requests
    assert path == "/rest/api/2/issue"
    basic = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert basic == "soc@hanoi.example:jira-TOKEN"
    assert body == {
        "fields": {
            "project": {"key": "SOC"},
            "issuetype": {"name": "Sự cố"},
            "summary": TITLE,
            "description": "\n".join(
                [
                    r"h3. \[HIGH\] Đăng nhập SSH thất bại nhiều lần",
                    "Nhiều lần đăng nhập SSH thất bại từ một địa chỉ IP.",
                    "||Trường||Giá trị||",
                    r"|host.name|máy\-chủ\-01 <b>x</b>|",
                    r"|user.name|nguyễn.văn.an @everyone <\!channel> & \*đậm\* "
                    r"\[a\]\(http://evil\) \{code\}\|x|",
                    "|source.ip|2001:db8::7|",
                    r"|Thời gian|2026\-11\-27 10:04:05 \+07 \(UTC\+07:00\)|",
                    "|Số sự kiện|2|",
                    r"|Quy tắc|ssh\-bruteforce|",
                    f"[Mở cảnh báo|{LINK}]",
                ]
            ),
            "labels": ["canhgac", "severity-high", "canhgac-alert-0001"],
        }
    }


def test_jira_without_email_uses_a_personal_access_token(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (201, "{}")
    channel = {
        "type": "jira",
        "name": "jira",
        "url": http_receiver.url,
        "project": "SOC",
        "token": "PAT-1",
    }
    assert deliver(store, make_alert(), channel, clock) == DispatchReport(sent=1)
    [(_, headers, _)] = http_receiver.requests
    assert headers["Authorization"] == "Bearer PAT-1"
