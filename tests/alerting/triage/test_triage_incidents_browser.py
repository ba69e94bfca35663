"""In a real headless Chromium: an analyst selects alerts in the queue, creates an incident,
comments, adds and ticks a task and closes it; hostile text in the title, the comment, the
task and the alerts stays inert. The incident page is captured in both languages
(``artifacts/``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.triage.server import WebServer
from canhgac.models import Severity
from canhgac.store.incidents import IncidentFilter, IncidentStatus

from .cdp import Chromium
from .conftest import TriageEnv, make_alert
from .test_triage_browser import (
    ARTIFACTS,
    HOSTILE,
    SHOWN,
    assert_inert,
    browser,  # noqa: F401 - fixture
    log_in,
    server,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.browser


def _seed(env: TriageEnv) -> None:
    now = env.clock.now
    for i, severity in enumerate((Severity.high, Severity.critical, Severity.low)):
        env.add_alert(
            make_alert(
                f"b{i}",
                now - timedelta(minutes=10 * (i + 1)),
                title=f"Đăng nhập SSH thất bại {HOSTILE}" if i == 0 else f"Quét cổng lần {i}",
                severity=severity,
                snapshot={"host.name": HOSTILE if i == 0 else "web-01", "source.ip": "203.0.113.9"},
            )
        )


def test_incident_from_the_queue_commented_ticked_and_closed(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    _seed(env)
    log_in(browser, server, "analyst")
    browser.viewport(1400, 1000)
    browser.navigate(f"{server.url}/alerts")
    for alert_id in ("b0", "b1"):
        browser.click(f"input.select-alert[value='{alert_id}']")
    browser.type("#pick-title", f"Tấn công dò mật khẩu {HOSTILE}")
    browser.click("#pick-create", navigates=True)
    assert browser.evaluate("location.pathname").startswith("/incidents/inc-")
    assert browser.evaluate("document.querySelector('#notice').innerText") == "Đã tạo sự cố."
    assert_inert(browser, must_show=SHOWN)
    rows = browser.evaluate(
        "[...document.querySelectorAll('#incident-alerts tr.alert-row')].map(r => r.dataset.alertId)"
    )
    assert rows == ["b0", "b1"]

    browser.type("#incident-comment-text", f"Đã chặn IP. {HOSTILE}")
    browser.click("#incident-comment-submit", navigates=True)
    browser.type("#task-text", f"Đổi mật khẩu tài khoản {HOSTILE}")
    browser.click("#task-add", navigates=True)
    browser.click("#incident-tasks button.task-toggle", navigates=True)
    assert browser.evaluate("document.querySelectorAll('#incident-tasks li.task.done').length") == 1
    browser.choose("#incident-owner-select", "analyst2")
    browser.click("#incident-assign", navigates=True)
    assert browser.evaluate("document.querySelector('#incident-status').dataset.status") == (
        "investigating"
    )
    assert_inert(browser, must_show=SHOWN)
    comment = browser.evaluate("document.querySelector('.comment-text').innerText")
    assert SHOWN in comment
    browser.screenshot(ARTIFACTS / "triage-incident-vi.png")

    browser.choose("#incident-close-reason-select", "true_positive")
    browser.click("#incident-close", navigates=True)
    assert browser.evaluate("document.querySelector('#incident-status').dataset.status") == "closed"
    assert_inert(browser, must_show=SHOWN)
    browser.navigate(server.url + browser.evaluate("location.pathname") + "?lang=en")
    assert "True positive" in browser.evaluate(
        "document.querySelector('#incident-header').innerText"
    )
    timeline = browser.evaluate("document.querySelector('#incident-timeline').innerText")
    assert "closed the incident" in timeline and "ticked a task" in timeline
    browser.screenshot(ARTIFACTS / "triage-incident-en.png")

    stored = env.store.incidents().list_incidents(IncidentFilter())
    assert len(stored) == 1
    incident = stored[0]
    assert incident.status is IncidentStatus.closed and incident.owner == "analyst2"
    assert incident.alert_ids == ["b0", "b1"] and incident.severity is Severity.critical
    assert incident.tasks[0].done and incident.tasks[0].done_by == "analyst"
    assert incident.comments[0].text == f"Đã chặn IP. {HOSTILE}"

    # The title field holds 300 characters: the list shows what was kept, as text.
    assert incident.title.startswith("Tấn công dò mật khẩu <script>")
    browser.navigate(f"{server.url}/incidents")
    assert_inert(browser, must_show=incident.title.replace("\u202e", "U+202E"))
    browser.navigate(f"{server.url}/alerts/b0")
    assert_inert(browser, must_show=SHOWN)
    assert (
        browser.evaluate("document.querySelectorAll('#alert-incidents a.incident-link').length")
        == 1
    )
    assert browser.logged("Content Security Policy") == []
    assert browser.logged("Uncaught") == []
