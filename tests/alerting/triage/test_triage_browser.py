"""In a real headless Chromium: hostile log content never executes, and an analyst's day works.

The app runs under uvicorn on a free loopback port; Chromium is driven over the DevTools
protocol (see ``cdp.py``). These tests fail, never skip, when Chromium is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.load.suppressions import load_suppressions
from alerting.triage.actions import TriageActions
from alerting.triage.server import WebServer
from canhgac.models import Notification, Severity
from canhgac.store.triage import CloseReason
from canhgac.timeutil import to_iso

from .cdp import BrowserError, Chromium
from .conftest import PASSWORD, RULE, SCANNER, TriageEnv, make_alert, make_event

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
BIDI = "\u202e"
PAYLOADS = (
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "\"><svg onload=window.__pwned='svg'>",
    "'><iframe srcdoc='<script>parent.__pwned=1</script>'></iframe>",
    "javascript:window.__pwned='js'",
    "<a href=\"javascript:window.__pwned='a'\">bấm vào đây</a>",
    "</td></tr></table></pre><script>document.title='PWNED'</script>",
    "<!-- <b unclosed <style>body{display:none}</style>",
    f"invoice{BIDI}fdp.exe",
    "{{ 7*7 }} ${7*7}",
)
HOSTILE = " ⁞ ".join(PAYLOADS)
# What the page shows for HOSTILE: itself, with the direction override made visible.
SHOWN = HOSTILE.replace(BIDI, "U+202E")

PAGE_STATE = """(() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  title: document.title,
  scripts: [...document.scripts].map(s => s.getAttribute('src')),
  handlers: [...document.querySelectorAll('*')]
      .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  jsUrls: [...document.querySelectorAll('[href],[src],[action],[srcdoc]')]
      .filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src')
          || e.getAttribute('action') || '') || e.hasAttribute('srcdoc')).length,
  // The overview's own charts are svg elements with the classes its templates give them.
  injected: document.querySelectorAll(
      'svg:not(.overview-chart):not(.bar), iframe, img, object, embed, main style').length,
  text: document.body.innerText,
}))()"""


@pytest.fixture
def server(env: TriageEnv) -> Iterator[WebServer]:
    with WebServer(env.app()) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    with Chromium(tmp_path / "chromium-profile") as chromium:
        yield chromium


def log_in(browser: Chromium, server: WebServer, username: str) -> None:
    browser.navigate(f"{server.url}/login")
    browser.type("#username", username)
    browser.type("#password", PASSWORD)
    browser.click("#login-submit", navigates=True)
    assert browser.evaluate("location.pathname") != "/login", "login failed"


def assert_inert(browser: Chromium, *, must_show: str) -> dict[str, Any]:
    browser.evaluate("new Promise(r => setTimeout(r, 300))")  # let failed loads fire onerror
    state: dict[str, Any] = browser.evaluate(PAGE_STATE)
    page = browser.evaluate("location.pathname + location.search")
    assert state["pwned"] is None, page
    assert state["title"] != "PWNED", page
    assert state["scripts"] == ["/static/app.js"], page
    assert (state["handlers"], state["jsUrls"], state["injected"]) == (0, 0, 0), page
    assert must_show in state["text"], page
    assert BIDI not in state["text"], page
    return state


def seed_hostile(env: TriageEnv) -> None:
    now = env.clock.now
    seen = now - timedelta(minutes=30)
    fields = {
        "host.name": HOSTILE,
        "user.name": HOSTILE,
        "source.ip": HOSTILE,
        "message": HOSTILE,
        "url.original": HOSTILE,
        "user_agent.original": HOSTILE,
        "event.dataset": HOSTILE,
        "event.original": HOSTILE,
        HOSTILE: "a field named by an attacker",
    }
    events = [
        make_event("e-xss", seen, **fields),
        make_event("e-xss-near", seen + timedelta(minutes=5), **fields),
    ]
    alert = make_alert(
        "xss",
        seen,
        rule_id=HOSTILE,
        title=HOSTILE,
        severity=Severity.critical,
        rule_description=HOSTILE,
        author=HOSTILE,
        tags=[HOSTILE, "attack.t1110"],
        references=[HOSTILE, "javascript:window.__pwned='ref'", "https://example.org/ok"],
        group_key={"user.name": HOSTILE},
        snapshot={k: v for k, v in fields.items() if k != "event.original"},
        event_ids=["e-xss", "e-xss-near"],
        created=now - timedelta(minutes=29),
    )
    env.add_alert(alert, events)
    stored = env.store.get_alert("xss")
    assert stored is not None
    env.store.update_alert(stored.model_copy(update={"close_reason": HOSTILE}))
    env.add_user("xss.user", display_name=HOSTILE)
    TriageActions(env.store, env.triage, assign_channel=None, clock=env.clock).comment(
        "analyst", "xss", HOSTILE
    )
    env.store.enqueue_notifications("xss", [HOSTILE])
    env.store.mark_notification(
        Notification(
            alert_id="xss",
            channel=HOSTILE,
            status=HOSTILE,
            attempts=1,
            last_error=HOSTILE,
            updated_at=to_iso(now),
        )
    )


def test_hostile_content_is_shown_literally_and_never_runs(
    env: TriageEnv, server: WebServer, browser: Chromium
) -> None:
    seed_hostile(env)
    # A failed login with a hostile username lands in the audit log the admin reads.
    browser.navigate(f"{server.url}/login?next={json.dumps(HOSTILE)}")
    browser.type("#username", HOSTILE)
    browser.type("#password", "wrong password")
    browser.click("#login-submit", navigates=True)
    assert_inert(browser, must_show="Tên đăng nhập hoặc mật khẩu không đúng.")

    log_in(browser, server, "admin")
    paths = (
        "/alerts",
        "/alerts/xss",
        "/alerts/xss/exception",
        "/overview",
        "/accounts",
        "/alerts?notice=x%3Cb%3E",
    )
    for path in paths:
        browser.navigate(server.url + path)
        assert_inert(browser, must_show=SHOWN)
    # The exception form carries hostile field names and values in attributes; previewing
    # it echoes them back (the hostile rule id is unknown to the rules: an error, shown inert).
    browser.navigate(f"{server.url}/alerts/xss/exception")
    browser.type("#ex-reason", HOSTILE[:500])
    browser.click("#ex-preview", navigates=True)
    assert_inert(browser, must_show=SHOWN)
    browser.navigate(f"{server.url}/audit")  # the login form took the first 200 characters
    assert_inert(browser, must_show=SHOWN[:200])

    # The hostile text in the queue's search box is an attribute value, echoed back safely.
    browser.navigate(f"{server.url}/alerts")
    browser.type("#f-q", HOSTILE[:200])
    browser.click("#apply-filters", navigates=True)
    value = browser.evaluate("document.querySelector('#f-q').value")
    assert value == HOSTILE[:200]
    assert_inert(browser, must_show=SHOWN.split(" ⁞ ")[0])

    # The refresh path inserts server HTML into the live page: still inert.
    browser.navigate(f"{server.url}/alerts")
    browser.evaluate("document.querySelector('#status-counts').dataset.old = '1'")
    browser.click("#refresh-now")
    browser.wait_for("!document.querySelector('#status-counts').dataset.old")
    assert_inert(browser, must_show=SHOWN)

    text = browser.evaluate("document.querySelector('#queue-results').innerText")
    assert SHOWN in text
    assert browser.logged("Content Security Policy") == []
    assert browser.logged("Uncaught") == []


def test_an_analysts_day(env: TriageEnv, server: WebServer, browser: Chromium) -> None:
    now = env.clock.now
    for i, (host, severity) in enumerate(
        [("web-01", Severity.high), ("web-02", Severity.low), ("web-01", Severity.medium)]
    ):
        seen = now - timedelta(hours=1, minutes=i)
        event = make_event(
            f"e{i}",
            seen,
            **{"host.name": host, "user.name": "tran.b", "message": f"Failed password #{i}"},
        )
        env.add_alert(
            make_alert(
                f"a{i}",
                seen,
                title=f"SSH brute force lần {i}",
                severity=severity,
                event_ids=[event.id],
                snapshot={"host.name": host, "user.name": "tran.b"},
                created=seen + timedelta(minutes=1),
            ),
            [event],
        )

    browser.navigate(f"{server.url}/alerts")  # not logged in: to the login form and back
    assert browser.evaluate("location.pathname") == "/login"
    browser.type("#username", "analyst")
    browser.type("#password", PASSWORD)
    browser.click("#login-submit", navigates=True)
    assert browser.evaluate("location.pathname") == "/alerts"
    assert browser.evaluate("document.querySelectorAll('tr.alert-row').length") == 3
    browser.screenshot(ARTIFACTS / "triage-queue.png")

    browser.navigate(f"{server.url}/overview")
    mtta = "document.querySelector('tr[data-severity=high][data-days=\"7\"] .mtta').innerText"
    mttr = "document.querySelector('tr[data-severity=high][data-days=\"7\"] .mttr').innerText"
    assert (browser.evaluate(mtta), browser.evaluate(mttr)) == ("—", "—")

    # Filter the queue; the filter lands in the URL.
    browser.navigate(f"{server.url}/alerts")
    browser.type("#f-host", "web-01")
    browser.click("#apply-filters", navigates=True)
    browser.click("#sort-severity", navigates=True)  # the column header sorts
    assert "host=web-01" in browser.evaluate("location.search")
    assert "sort=severity" in browser.evaluate("location.search")
    rows = browser.evaluate(
        "[...document.querySelectorAll('tr.alert-row')].map(r => r.dataset.alertId)"
    )
    assert rows == ["a0", "a2"]

    # Open the alert, assign it, comment, close it as a false positive.
    browser.click("tr[data-alert-id=a0] a.alert-link", navigates=True)
    assert browser.evaluate("location.pathname") == "/alerts/a0"
    browser.screenshot(ARTIFACTS / "triage-alert.png")
    browser.choose("#assignee", "analyst2")
    browser.click("#assign", navigates=True)
    assert browser.evaluate("document.querySelector('#notice').innerText").startswith("Đã giao")
    assert "analyst2" in browser.evaluate("document.querySelector('#alert-assignee').innerText")
    browser.type("#comment-text", "Đã liên hệ quản trị máy chủ web-01.")
    browser.click("#comment-submit", navigates=True)
    assert "Đã liên hệ quản trị máy chủ web-01." in browser.evaluate(
        "document.querySelector('#comments').innerText"
    )
    browser.choose("#close-reason", CloseReason.false_positive.value)
    browser.type("#close-comment", "Quét lỗ hổng định kỳ của phòng CNTT.")
    browser.click("#close", navigates=True)
    assert browser.evaluate("document.querySelector('#alert-status').dataset.status") == "closed"
    assert browser.evaluate("document.querySelector('#alert-close-reason').innerText") == (
        "Báo động nhầm"
    )
    history = browser.evaluate("document.querySelector('#history').innerText")
    assert "Mới → Đã tiếp nhận" in history and "Đã tiếp nhận → Đã đóng" in history
    assert [n.status for n in env.store.list_notifications("a0")] == ["pending"]

    # The overview's response times now count this alert.
    browser.navigate(f"{server.url}/overview")
    assert browser.evaluate(mtta) == "59 min" and browser.evaluate(mttr) == "59 min"

    # Bulk-acknowledge what is left on web-01... (a2 is new)
    browser.navigate(f"{server.url}/alerts?host=web-01&status=new")
    browser.click("#select-all")
    browser.choose("#bulk-action", "acknowledge")
    browser.click("#bulk-submit", navigates=True)
    assert "1 cảnh báo đã xử lý" in browser.evaluate(
        "document.querySelector('#bulk-result').innerText"
    )
    assert "host=web-01" in browser.evaluate("location.search")

    # Switch to English; the choice sticks.
    browser.click("#lang-en", navigates=True)
    assert browser.evaluate("document.documentElement.lang") == "en"
    browser.navigate(f"{server.url}/alerts/a0")
    assert browser.evaluate("document.querySelector('#alert-close-reason').innerText") == (
        "False positive"
    )
    browser.click("#logout", navigates=True)
    assert browser.evaluate("location.pathname") == "/login"
    assert browser.logged("Content Security Policy") == []


def test_closing_as_false_positive_with_an_exception(
    seeded: TriageEnv, server: WebServer, browser: Chromium
) -> None:
    """The scanner's alerts are false positives: an admin (author and analyst) excepts the
    scanner after seeing the impact, and closes the alert in the same step."""
    log_in(browser, server, "admin")
    browser.navigate(f"{server.url}/alerts/scan1")
    browser.click("#create-exception", navigates=True)
    assert browser.evaluate("location.pathname") == "/alerts/scan1/exception"
    prefilled = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-value-of]')]"
        ".map(e => [e.dataset.valueOf, e.value]))"
    )
    assert prefilled == {"host.name": "web-01", "user.name": "svc_scan", "source.ip": SCANNER}
    assert browser.evaluate("document.querySelector('#ex-rules').value") == RULE
    assert browser.evaluate("document.querySelector('#ex-save')") is None  # preview first
    for name in ("host.name", "user.name"):  # the scanner is the address, whatever it scans
        browser.click(f"input[data-field='{name}']")
    browser.type("#ex-id", "soc-scanner")
    browser.type("#ex-reason", "Máy quét lỗ hổng được phép của SOC, quét hằng tuần.")
    browser.click("#ex-preview", navigates=True)
    impact = browser.evaluate("document.querySelector('#ex-impact').dataset.suppressed")
    assert impact == "3"
    assert "3" in browser.evaluate("document.querySelector('#ex-impact-total').innerText")
    browser.screenshot(ARTIFACTS / "triage-exception.png")
    browser.click("#ex-close")
    browser.click("#ex-save", navigates=True)

    assert browser.evaluate("location.pathname") == "/alerts/scan1"
    notice = browser.evaluate("document.querySelector('#notice').innerText")
    assert notice == "Đã lưu ngoại lệ và đóng cảnh báo là báo động nhầm."
    assert browser.evaluate("document.querySelector('#alert-status').dataset.status") == "closed"
    assert browser.evaluate("document.querySelector('#alert-close-reason').innerText") == (
        "Báo động nhầm"
    )
    assert "Exception soc-scanner" in browser.evaluate(
        "document.querySelector('#comments').innerText"
    )
    [saved] = load_suppressions(seeded.tmp_path / "rules" / "exceptions").suppressions
    assert saved.suppression.match == {"source.ip": SCANNER}
    assert browser.logged("Content Security Policy") == []


def test_a_missing_browser_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    with pytest.raises(BrowserError, match="apt-get install"):
        Chromium(tmp_path / "profile", binary=str(tmp_path / "no-chromium-here"))
