"""In a real headless Chromium: the overview's charts and the rules page stay inert with hostile
content, the queue's keyboard shortcuts work, dark mode follows the system and the toggle, and
the overview is captured in both languages and both themes (``artifacts/``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from alerting.triage.server import WebServer
from canhgac.models import AlertFilter, AlertStatus, Severity

from .cdp import Chromium
from .conftest import TriageEnv, make_alert
from .test_triage_browser import (
    ARTIFACTS,
    HOSTILE,
    SHOWN,
    assert_inert,
    browser,  # noqa: F401 - fixture
    log_in,
    seed_hostile,
    server,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.browser
BACKGROUND = "getComputedStyle(document.body).backgroundColor"
DARK_BACKGROUND = "rgb(18, 23, 29)"
LIGHT_BACKGROUND = "rgb(246, 247, 249)"


def write_hostile_rule(env: TriageEnv) -> None:
    folder = env.tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    rule = {
        "title": HOSTILE,
        "id": HOSTILE,  # the hostile alert's rule: its title is shown in the charts
        "level": HOSTILE,
        "tags": [HOSTILE, "attack.initial_access"],
        "logsource": {"product": HOSTILE, "service": HOSTILE},
        "detection": {"sel": {"message": HOSTILE}, "condition": "sel"},
        "canhgac": {"interval": HOSTILE},
    }
    text = yaml.safe_dump(rule, allow_unicode=True, width=10_000)
    (folder / "hostile.yml").write_text(text, encoding="utf-8")


def seed_queue(env: TriageEnv, count: int) -> None:
    now = env.clock.now
    severities = list(Severity)
    for i in range(count):
        seen = now - timedelta(minutes=7 * i)
        env.add_alert(
            make_alert(
                f"q{i:02d}",
                seen,
                title=f"Đăng nhập SSH thất bại lần {i}",
                severity=severities[i % len(severities)],
                snapshot={"host.name": f"web-{i % 3}", "source.ip": f"10.0.0.{i}"},
                tags=["attack.credential_access"],
            )
        )


def test_overview_and_rules_pages_are_inert_with_hostile_content(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    seed_hostile(env)
    write_hostile_rule(env)
    log_in(browser, server, "admin")
    for path in ("/overview", "/overview?range=7d", "/overview?range=30d&lang=en", "/rules"):
        browser.navigate(server.url + path)
        assert_inert(browser, must_show=SHOWN)
    # Chart elements are links into the queue, tooltips carry the hostile text as text.
    browser.navigate(f"{server.url}/overview")
    tooltips = browser.evaluate(
        "[...document.querySelectorAll('table.bars svg title')].map(t => t.textContent)"
    )
    assert any(SHOWN in t for t in tooltips)  # direction overrides made visible there too
    hrefs = browser.evaluate(
        "[...document.querySelectorAll('#chart-over-time a, table.bars a:not(.pivot)')]"
        ".map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith("/alerts?") for h in hrefs)
    # Beside the top IPs and hosts, a pivot to the entity's page.
    pivots = browser.evaluate(
        "[...document.querySelectorAll('table.bars a.pivot')].map(a => a.getAttribute('href'))"
    )
    assert pivots and all(h.startswith(("/entities/ip?", "/entities/host?")) for h in pivots)
    # Follow the hostile host's bar: the queue lists the hostile alert.
    browser.click("#host-bars a.bar-label", navigates=True)
    assert browser.evaluate("location.pathname") == "/alerts"
    assert browser.evaluate("document.querySelectorAll('tr.alert-row').length") == 1
    assert_inert(browser, must_show=SHOWN)
    # The rule's YAML, as stored, shown as text.
    browser.navigate(f"{server.url}/rules")
    browser.click("a.yaml-link", navigates=True)
    shown = browser.evaluate("document.querySelector('#rule-yaml').innerText")
    assert "attack.initial_access" in shown and "<script>" in shown
    assert_inert(browser, must_show="attack.initial_access")
    assert browser.logged("Content Security Policy") == []
    assert browser.logged("Uncaught") == []


def test_keyboard_shortcuts_move_acknowledge_close_search_and_help(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    seed_queue(env, 3)
    log_in(browser, server, "analyst")
    browser.navigate(f"{server.url}/alerts")
    selected = "document.querySelector('tr.alert-row.selected')?.dataset.alertId ?? null"
    assert browser.evaluate(selected) is None
    browser.press("j")
    assert browser.evaluate(selected) == "q00"
    browser.press("j")
    browser.press("j")
    browser.press("j")  # stays on the last row
    assert browser.evaluate(selected) == "q02"
    browser.press("k")
    assert browser.evaluate(selected) == "q01"

    browser.press("?")
    assert browser.evaluate("document.querySelector('#keys-help').open") is True
    browser.press("j")  # the help is modal: keys wait until it is closed
    assert browser.evaluate(selected) == "q01"
    browser.press("?")
    assert browser.evaluate("document.querySelector('#keys-help').open") is False

    browser.press("a", navigates=True)  # acknowledges the selected alert only
    stored = {a.id: a.status for a in env.store.list_alerts(AlertFilter())}
    assert stored == {
        "q00": AlertStatus.new,
        "q01": AlertStatus.acknowledged,
        "q02": AlertStatus.new,
    }
    assert browser.evaluate("document.querySelector('#bulk-result') !== null")

    browser.press("/")
    assert browser.evaluate("document.activeElement.id") == "f-q"
    browser.press("j")  # typed into the search box, not a shortcut
    assert browser.evaluate("document.querySelector('#f-q').value") == "j"
    assert browser.evaluate(selected) is None

    browser.evaluate("document.activeElement.blur()")
    browser.press("j")
    browser.press("c", navigates=True)  # closing happens on the alert page, reason first
    assert browser.evaluate("location.pathname") == "/alerts/q00"
    browser.press("c")
    assert browser.evaluate("document.activeElement.id") == "close-reason"


def test_dark_mode_follows_the_system_and_the_toggle_persists(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    seed_queue(env, 2)
    log_in(browser, server, "analyst")
    browser.color_scheme("dark")
    browser.navigate(f"{server.url}/alerts")
    assert browser.evaluate(BACKGROUND) == DARK_BACKGROUND
    browser.click("#theme-toggle")
    assert browser.evaluate(BACKGROUND) == LIGHT_BACKGROUND
    browser.navigate(f"{server.url}/overview")  # the choice is kept across pages
    assert browser.evaluate(BACKGROUND) == LIGHT_BACKGROUND
    browser.color_scheme("light")
    browser.click("#theme-toggle")
    assert browser.evaluate(BACKGROUND) == DARK_BACKGROUND
    browser.navigate(f"{server.url}/alerts")
    assert browser.evaluate(BACKGROUND) == DARK_BACKGROUND
    assert browser.evaluate("document.documentElement.dataset.theme") == "dark"


@pytest.mark.parametrize("hanoi_hour", [14, 2], ids=["one-day", "across-midnight"])
def test_queue_fits_a_screen_and_overview_screenshots(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
    hanoi_hour: int,
) -> None:
    # The newest alert yesterday at this hour in Hanoi (UTC+7): 40 alerts 7 minutes apart
    # stay within that day from 14:00, and span midnight from 02:00.
    yesterday = env.clock.now - timedelta(days=1)
    env.clock.now = yesterday.replace(hour=(hanoi_hour - 7) % 24, minute=0, second=0)
    seed_queue(env, 40)
    log_in(browser, server, "analyst")
    browser.viewport(1400, 900)
    browser.navigate(f"{server.url}/alerts?size=50")
    browser.screenshot(ARTIFACTS / "triage-queue-1400x900.png")
    # The filter bar and headings take the top; every visible row is one line. Across
    # midnight a second day's heading row takes an alert's place.
    visible = browser.evaluate(
        "[...document.querySelectorAll('tr.alert-row, tr.day-row')]"
        ".filter(r => r.getBoundingClientRect().bottom <= innerHeight).length"
    )
    assert visible >= 25, visible
    heights = browser.evaluate(
        "[...document.querySelectorAll('tr.alert-row')].map(r => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 30, max(heights)
    for lang in ("vi", "en"):
        for scheme in ("light", "dark"):
            browser.color_scheme(scheme)
            browser.navigate(f"{server.url}/overview?range=7d&lang={lang}")
            expected = DARK_BACKGROUND if scheme == "dark" else LIGHT_BACKGROUND
            assert browser.evaluate(BACKGROUND) == expected
            assert browser.evaluate(
                "document.querySelectorAll('#chart-over-time rect.bar-high').length"
            )
            browser.screenshot(ARTIFACTS / f"triage-overview-{lang}-{scheme}.png")
