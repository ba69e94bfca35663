"""The data sources pages in a real headless Chromium, at 1400 x 900: the four-source scenario
reads right in both languages (screenshots saved under ``var/screenshots``), the numbers fit
their columns, and a source named by an attacker runs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerting.triage.server import WebServer
from alerting.triage.sources import source_id

from .cdp import Chromium
from .conftest import HOSTILE_KEY, HOSTILE_LINE, HOSTILE_SOURCE, PASSWORD, SCENARIO_KEYS, TriageEnv

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
DB01 = SCENARIO_KEYS[1]

ROWS = """[...document.querySelectorAll('tr.source-row')].map(r => ({
  status: r.dataset.status,
  key: r.querySelector('.source-link').innerText,
  cells: [...r.querySelectorAll('td.q')].map(c => c.dataset.status),
}))"""
#: Lines of numbers in the table that wrapped onto a second line, and how far the table
#: reaches beyond the window.
LAYOUT = """(() => {
  const wrapped = [...document.querySelectorAll('table.sources td.q .n, table.sources th .sub')]
    .filter(e => e.getClientRects().length > 1
      || e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).lineHeight))
    .map(e => e.innerText);
  const table = document.querySelector('table.sources').getBoundingClientRect();
  return {wrapped, overflow: Math.max(0, table.right - window.innerWidth)};
})()"""
INERT = """(() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  scripts: [...document.scripts].map(s => s.getAttribute('src')),
  handlers: [...document.querySelectorAll('*')]
      .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  foreign: document.querySelectorAll('img, iframe, object, embed, main style').length,
  svgs: [...document.querySelectorAll('svg')].map(s => s.getAttribute('class')),
  text: document.body.innerText,
}))()"""


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


def log_in(browser: Chromium, server: WebServer, username: str) -> None:
    browser.navigate(f"{server.url}/login")
    browser.type("#username", username)
    browser.type("#password", PASSWORD)
    browser.click("#login-submit", navigates=True)
    assert browser.evaluate("location.pathname") != "/login", "login failed"


def check_layout(browser: Chromium) -> None:
    layout: dict[str, Any] = browser.evaluate(LAYOUT)
    assert layout == {"wrapped": [], "overflow": 0}


def test_the_sources_page_in_both_languages(health_env: TriageEnv, browser: Chromium) -> None:
    with WebServer(health_env.app()) as server:
        log_in(browser, server, "analyst")
        browser.click("#nav-sources", navigates=True)
        assert browser.evaluate("location.pathname") == "/sources"
        assert browser.evaluate("document.querySelector('h1').innerText") == "Nguồn dữ liệu"
        rows = browser.evaluate(ROWS)
        assert [r["status"] for r in rows] == ["failing"] * 5 + ["ok"]
        assert rows[1] == {
            "status": "failing",
            "key": "syslog-tcp / ecab-db01 / system.auth",
            "cells": ["ok", "ok", "failing", "ok"],
        }
        heads = "[...document.querySelectorAll('th.col-q')].map(h => h.firstChild.textContent)"
        assert browser.evaluate(heads) == ["Sống", "Đủ", "Đúng", "Sạch"]
        assert browser.evaluate("document.querySelectorAll('svg.spark g.spark-hour').length") == (
            6 * 24
        )
        check_layout(browser)
        browser.screenshot(SCREENSHOTS / "data-sources-vi.png")

        browser.click("#lang-en", navigates=True)
        assert browser.evaluate("document.querySelector('h1').innerText") == "Data sources"
        assert browser.evaluate(heads) == ["Live", "Complete", "Correct", "Clean"]
        check_layout(browser)
        browser.screenshot(SCREENSHOTS / "data-sources-en.png")

        browser.click(f"tr[data-source-id='{source_id(DB01)}'] a.source-link", navigates=True)
        assert browser.evaluate("location.pathname") == f"/sources/{source_id(DB01)}"
        correct = "document.querySelector('article.verdict[data-quality=correct]').dataset.status"
        assert browser.evaluate(correct) == "failing"
        samples = browser.evaluate("document.querySelectorAll('tr.sample-row').length")
        assert samples == 10
        browser.screenshot(SCREENSHOTS / "data-source-not-understood-en.png")
        browser.click("#lang-vi", navigates=True)
        first = "document.querySelector('tr.sample-row pre').innerText"
        assert "Phiên đăng nhập mới của nguyễn" in browser.evaluate(first)
        browser.screenshot(SCREENSHOTS / "data-source-not-understood-vi.png")
        assert browser.logged("Content Security Policy") == []
        assert browser.logged("Uncaught") == []


def test_a_hostile_source_is_shown_and_never_runs(
    hostile_health_env: TriageEnv, browser: Chromium
) -> None:
    with WebServer(hostile_health_env.app()) as server:
        log_in(browser, server, "admin")
        for path, sparklines in (("/sources", 8), (f"/sources/{source_id(HOSTILE_KEY)}", 1)):
            browser.navigate(server.url + path)
            browser.evaluate("new Promise(r => setTimeout(r, 300))")  # let failed loads fire
            state: dict[str, Any] = browser.evaluate(INERT)
            assert state["pwned"] is None, path
            assert state["scripts"] == ["/static/app.js"], path
            assert (state["handlers"], state["foreign"]) == (0, 0), path
            assert state["svgs"] == ["spark"] * sparklines, path
            assert HOSTILE_SOURCE.replace("\u202e", "U+202E") in state["text"], path
            assert "\u202e" not in state["text"], path
        assert HOSTILE_LINE.replace("\u202e", "U+202E") in state["text"]
        browser.screenshot(SCREENSHOTS / "data-source-hostile.png")
        assert browser.logged("Content Security Policy") == []
