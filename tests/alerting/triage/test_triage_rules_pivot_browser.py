"""In a real headless Chromium: a rule author disables a rule with a (hostile) reason and
enables it again from the rules page, and an analyst follows pivot links from an alert page
(snapshot and related timeline) to the entity pages, hostile values included, with nothing
ever running."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.triage.server import WebServer

from .cdp import Chromium
from .conftest import TriageEnv, make_alert, make_event
from .test_triage_browser import (
    ARTIFACTS,
    BIDI,
    HOSTILE,
    PAGE_STATE,
    SHOWN,
    assert_inert,
    browser,  # noqa: F401 - fixture
    log_in,
    seed_hostile,
    server,  # noqa: F401 - fixture
)
from .test_triage_workspace import write_rules
from .test_triage_workspace_browser import write_hostile_rule

pytestmark = pytest.mark.browser
ROW = "tr[data-rule-id='rule-ssh-brute']"
ENABLED = f'document.querySelector("{ROW}").dataset.enabled'


def _assert_entity_page_inert(chromium: Chromium) -> None:
    """:func:`assert_inert` for an entity page, whose own histogram is an inline svg."""
    chromium.evaluate("new Promise(r => setTimeout(r, 300))")  # let failed loads fire onerror
    state = chromium.evaluate(PAGE_STATE)
    own = chromium.evaluate("document.querySelectorAll('#entity-histogram svg').length")
    assert state["pwned"] is None and state["title"] != "PWNED"
    assert state["scripts"] == ["/static/app.js"]
    assert (state["handlers"], state["jsUrls"], state["injected"]) == (0, 0, own)
    assert SHOWN in state["text"] and BIDI not in state["text"]


def test_an_author_disables_a_rule_with_a_reason_and_enables_it_again(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    write_rules(env)
    write_hostile_rule(env)
    log_in(browser, server, "author")
    browser.navigate(f"{server.url}/rules")
    assert browser.evaluate(ENABLED) == "true"

    # No reason: the browser refuses to send the form.
    browser.click(f"{ROW} button.switch-button")
    browser.evaluate("new Promise(r => setTimeout(r, 300))")
    assert browser.evaluate("location.search") == ""
    assert env.store.get_rule_switches(["rule-ssh-brute"]) == {}

    browser.type(f"{ROW} input[name=reason]", f"Báo động giả hàng loạt {HOSTILE}")
    browser.click(f"{ROW} button.switch-button", navigates=True)

    assert browser.evaluate("location.search") == "?notice=done_rule_disabled"
    assert browser.evaluate(ENABLED) == "false"
    reason = browser.evaluate(f'document.querySelector("{ROW} .switch-reason").innerText')
    assert reason == f"Báo động giả hàng loạt {SHOWN}"
    assert_inert(browser, must_show=SHOWN)
    switch = env.store.get_rule_switches(["rule-ssh-brute"])["rule-ssh-brute"]
    assert (switch.enabled, switch.actor) == (False, "author")
    browser.screenshot(ARTIFACTS / "triage-rules-disabled.png")

    browser.type(f"{ROW} input[name=reason]", "Đã thêm ngoại lệ cho máy quét")
    browser.click(f"{ROW} button.switch-button", navigates=True)
    assert browser.evaluate(ENABLED) == "true"
    assert env.store.get_rule_switches(["rule-ssh-brute"])["rule-ssh-brute"].enabled
    actions = [e.action for e in env.triage.list_audit() if e.target == "rule:rule-ssh-brute"]
    assert actions == ["rule.enable", "rule.disable"]  # newest first
    assert browser.logged("Content Security Policy") == []


def test_pivot_links_lead_from_an_alert_to_its_entities(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    seed_hostile(env)
    seen = env.clock.now - timedelta(hours=1)
    ip = "203.0.113.7"
    env.add_alert(
        make_alert("fw", seen, event_ids=["fw-1"], snapshot={"source.ip": ip}),
        [
            make_event("fw-1", seen, **{"source.ip": ip}),
            make_event(
                "fw-near", seen - timedelta(minutes=5), **{"source.ip": ip, "host.name": "vpn"}
            ),
        ],
    )
    log_in(browser, server, "analyst")

    # A firewall alert keyed on its source IP: the timeline pivots on it, and each value links.
    browser.navigate(f"{server.url}/alerts/fw")
    rows = browser.evaluate("document.querySelectorAll('#timeline tbody tr').length")
    assert rows == 2
    browser.click("#timeline a.pivot[data-entity='host']", navigates=True)
    assert browser.evaluate("location.pathname") == "/entities/host"
    assert (
        browser.evaluate("document.querySelector('#entity-title .entity-value').innerText") == "vpn"
    )
    browser.navigate(f"{server.url}/alerts/fw")
    browser.click("#snapshot a.pivot[data-entity='ip']", navigates=True)
    assert browser.evaluate("location.pathname") == "/entities/ip"
    assert browser.evaluate("document.querySelector('#entity-title .entity-value').innerText") == ip

    # Hostile values are links too: the queue's and the alert page's, all to /entities/.
    for path in ("/alerts", "/alerts/xss"):
        browser.navigate(server.url + path)
        assert_inert(browser, must_show=SHOWN)
        hrefs = browser.evaluate(
            "[...document.querySelectorAll('a.pivot')].map(a => a.getAttribute('href'))"
        )
        assert hrefs and all(h.startswith("/entities/") for h in hrefs), path
    browser.click("#snapshot a.pivot[data-entity='user']", navigates=True)
    assert browser.evaluate("location.pathname") == "/entities/user"
    _assert_entity_page_inert(browser)
    shown = browser.evaluate("document.querySelector('#entity-title .entity-value').innerText")
    assert shown == SHOWN
    assert browser.logged("Uncaught") == []
