"""The event search page in a real headless Chromium, at 1400 x 900: a hunt through events
whose fields carry XSS payloads (in the results, the top values and the exports) runs
nothing, filtering out by a top value works by click, and screenshots in both languages are
saved under ``var/screenshots``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.triage.server import WebServer

from .cdp import Chromium
from .conftest import PASSWORD, TriageEnv, make_event

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PAYLOADS = (
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    '"><svg onload="window.__pwned=3">',
)
FORMULA = '=HYPERLINK("http://evil.example","bấm")'
INERT = """(() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  scripts: [...document.scripts].map(s => s.getAttribute('src')),
  handlers: [...document.querySelectorAll('*')]
      .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  foreign: document.querySelectorAll('img, iframe, object, embed, main style, main svg svg').length,
  results: [...document.querySelectorAll('#search-results tbody tr')].map(r => r.dataset.eventId),
  top: [...document.querySelectorAll('.top-field[data-field="user.name"] .top-value')].map(e => e.innerText),
  text: document.body.innerText,
}))()"""
FETCH = "fetch(document.querySelector({selector}).href).then(r => r.text())"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    with Chromium(tmp_path / "chromium-profile") as chromium:
        chromium.send(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield chromium


def _seed(env: TriageEnv) -> None:
    now = env.clock.now
    events = [
        make_event(
            f"x{i}",
            now - timedelta(minutes=30 + 47 * i),
            **{
                "host.name": payload,
                "user.name": payload if i < 2 else FORMULA,
                "source.ip": f"10.0.0.{i + 1}",
                "event.original": f"Failed password for {payload} from 10.0.0.{i + 1}",
            },
        )
        for i, payload in enumerate(PAYLOADS)
    ]
    events.append(
        make_event(
            "ok",
            now - timedelta(hours=5),
            **{
                "host.name": "ecab-web01",
                "user.name": "Nguyễn Thị Hoa",
                "event.original": "Failed password for nguyễn thị hoa",
            },
        )
    )
    env.store.write_events(events)


def _log_in(browser: Chromium, server: WebServer) -> None:
    browser.navigate(f"{server.url}/login")
    browser.type("#username", "analyst")
    browser.type("#password", PASSWORD)
    browser.click("#login-submit", navigates=True)
    assert browser.evaluate("location.pathname") != "/login", "login failed"


def _inert(browser: Chromium) -> dict[str, Any]:
    browser.evaluate("new Promise(r => setTimeout(r, 300))")  # let failed loads fire
    state: dict[str, Any] = browser.evaluate(INERT)
    assert state["pwned"] is None
    assert state["scripts"] == ["/static/app.js"]
    assert (state["handlers"], state["foreign"]) == (0, 0)
    return state


def test_hunting_through_hostile_events(env: TriageEnv, browser: Chromium) -> None:
    _seed(env)
    with WebServer(env.app()) as server:
        _log_in(browser, server)
        browser.click("#nav-search", navigates=True)
        assert browser.evaluate("document.querySelector('h1').innerText") == "Tìm kiếm sự kiện"
        browser.type("#search-q", "failed AND event.dataset:system.auth")
        browser.click("#search-go", navigates=True)
        state = _inert(browser)
        assert state["results"] == ["x0", "x1", "x2", "ok"]
        assert browser.evaluate("document.querySelector('#search-count').dataset.total") == "4"
        for payload in PAYLOADS:
            assert payload in state["text"]  # shown as text, in results and top values
        assert sorted(state["top"]) == sorted([PAYLOADS[0], PAYLOADS[1], FORMULA, "Nguyễn Thị Hoa"])
        bars = browser.evaluate("document.querySelectorAll('svg rect.hist-bar').length")
        assert bars == 4
        browser.screenshot(SCREENSHOTS / "search-vi.png")

        # Filter out the first payload by its top value's "−" link.
        first = (
            "[...document.querySelectorAll('.top-field[data-field=\"user.name\"] li')]"
            f".find(li => li.querySelector('.top-value').innerText === {json.dumps(PAYLOADS[0])})"
            ".querySelector('.filter-out').id = 'drop-first'"
        )
        browser.evaluate(first)
        browser.click("#drop-first", navigates=True)
        state = _inert(browser)
        assert state["results"] == ["x1", "x2", "ok"]

        csv_text = browser.evaluate(FETCH.format(selector=json.dumps("#export-csv")))
        rows = list(csv.reader(io.StringIO(csv_text)))
        assert rows[0][:3] == ["'@timestamp", "event.dataset", "host.name"]  # '@' neutralised too
        users = [row[3] for row in rows[1:]]
        assert users == [PAYLOADS[1], "'" + FORMULA, "Nguyễn Thị Hoa"]
        ndjson = browser.evaluate(FETCH.format(selector=json.dumps("#export-ndjson")))
        assert [json.loads(line)["host.name"] for line in ndjson.splitlines()] == [
            PAYLOADS[1],
            PAYLOADS[2],
            "ecab-web01",
        ]
        draft = browser.evaluate(FETCH.format(selector=json.dumps("#sigma-draft")))
        assert "condition:" in draft and "keywords1" in draft

        browser.click("#lang-en", navigates=True)
        state = _inert(browser)
        assert browser.evaluate("document.querySelector('h1').innerText") == "Event search"
        assert "3 matching events" in state["text"]
        browser.screenshot(SCREENSHOTS / "search-en.png")

        # Pivot: the host name (a payload) opens its entity page, which shows it as text.
        browser.click("#search-results a.pivot[data-entity='host']", navigates=True)
        state = _inert(browser)
        assert browser.evaluate("location.pathname") == "/entities/host"
        assert browser.evaluate("document.querySelector('.entity-value').innerText") == PAYLOADS[1]
        assert browser.evaluate("document.querySelector('#entity-total').dataset.total") == "1"
        related = "[...document.querySelectorAll('#entity-related a.pivot')].map(a => a.innerText)"
        assert sorted(browser.evaluate(related)) == sorted([PAYLOADS[1], "10.0.0.2"])
        browser.screenshot(SCREENSHOTS / "entity-host-en.png")
        browser.click("#entity-related a.pivot[data-entity='ip']", navigates=True)
        state = _inert(browser)
        assert browser.evaluate("document.querySelector('h1').innerText") == "IP address: 10.0.0.2"
        browser.click("#lang-vi", navigates=True)
        assert browser.evaluate("document.querySelector('h1').innerText") == "Địa chỉ IP: 10.0.0.2"
        browser.screenshot(SCREENSHOTS / "entity-ip-vi.png")
        assert browser.logged("Content Security Policy") == []
        assert browser.logged("Uncaught") == []


def test_a_query_error_points_at_the_character(env: TriageEnv, browser: Chromium) -> None:
    with WebServer(env.app()) as server:
        _log_in(browser, server)
        browser.navigate(f"{server.url}/search?lang=en&q=" + "user.name%3A%28root")
        assert browser.evaluate("document.querySelector('#search-error mark') !== null")
        text = browser.evaluate("document.querySelector('#search-error').innerText")
        assert "at character 15" in text
        browser.screenshot(SCREENSHOTS / "search-error-en.png")
