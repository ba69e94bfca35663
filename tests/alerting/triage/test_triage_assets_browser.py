"""In a real headless Chromium: the alert page shows the city context of its hosts and
addresses, and hostile inventory text (a department, a description) stays inert text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerting.triage.server import WebServer
from canhgac.models import Severity

from .cdp import Chromium
from .conftest import TriageEnv, make_alert
from .test_triage_assets import with_inventory
from .test_triage_browser import (
    ARTIFACTS,
    HOSTILE,
    SHOWN,
    assert_inert,
    browser,  # noqa: F401 - fixture
    log_in,
)

pytestmark = pytest.mark.browser

ROWS = """[...document.querySelectorAll('#asset-context tr.asset-row')].map(r => ({
  field: r.dataset.field,
  zone: r.querySelector('.asset-zone').innerText.trim(),
  name: r.querySelector('.asset-name')?.innerText ?? null,
  department: r.querySelector('.asset-department')?.innerText ?? null,
  description: r.querySelector('.asset-description')?.innerText ?? null,
}))"""

FACTS_INERT = """({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  foreign: document.querySelectorAll(
      '#asset-context :is(script, img, svg, iframe, object, embed, style, a)').length,
  handlers: [...document.querySelectorAll('#asset-context *')]
      .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
})"""


def test_the_alert_page_shows_asset_context_and_hostile_inventory_text_is_inert(
    env: TriageEnv,
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    with_inventory(
        env,
        {
            "assets": [
                {
                    "name": "Hồ sơ sức khỏe điện tử",
                    "department": HOSTILE,
                    "criticality": "critical",
                    "description": HOSTILE,
                    "hosts": ["hssk-app01"],
                    "networks": ["10.30.0.0/22", "2001:db8:30::/48"],
                }
            ]
        },
    )
    env.add_alert(
        make_alert(
            "hssk",
            env.clock.now - timedelta(minutes=3),
            title="Tải xuống hàng loạt hồ sơ",
            severity=Severity.critical,
            snapshot={"host.name": "HSSK-APP01", "source.ip": "203.0.113.9"},
            group_key={"destination.ip": "2001:db8:30::10"},
            priority=16,
            asset="Hồ sơ sức khỏe điện tử",
        )
    )
    with WebServer(env.app()) as server:
        log_in(browser, server, "analyst")
        browser.navigate(f"{server.url}/alerts/hssk?lang=en")
        rows: list[dict[str, Any]] = browser.evaluate(ROWS)
        assert [r["field"] for r in rows] == ["destination.ip", "host.name", "source.ip"]
        destination, host, source = rows
        assert (destination["zone"], destination["name"]) == (
            "Internal",
            "Hồ sơ sức khỏe điện tử (2001:db8:30::/48)",
        )
        assert (host["zone"], host["name"]) == ("—", "Hồ sơ sức khỏe điện tử")
        assert host["department"] == SHOWN and host["description"] == SHOWN
        assert (source["zone"], source["name"]) == ("External", None)
        priority = browser.evaluate("document.querySelector('#alert-priority').innerText")
        assert priority.startswith("16") and "Hồ sơ sức khỏe điện tử" in priority
        assert_inert(browser, must_show=SHOWN)
        browser.screenshot(ARTIFACTS / "triage-alert-asset-context-en.png")
        # Pivot from the context to the host's entity page: the same asset, inert there too.
        browser.click("#asset-context tr[data-field='host.name'] a.pivot", navigates=True)
        assert browser.evaluate("location.pathname") == "/entities/host"
        shown = browser.evaluate("document.querySelector('#asset-context').innerText")
        assert "Hồ sơ sức khỏe điện tử" in shown and "Critical" in shown and SHOWN in shown
        # (assert_inert counts the entity page's own histogram svg as foreign: check the facts)
        assert browser.evaluate(FACTS_INERT) == {"pwned": None, "foreign": 0, "handlers": 0}
        # The queue sorted by priority, its header a link.
        browser.navigate(f"{server.url}/alerts")
        browser.click("#sort-priority", navigates=True)
        assert "sort=priority" in browser.evaluate("location.search")
        badge = "document.querySelector('tr.alert-row td.priority .prio').dataset.priority"
        assert browser.evaluate(badge) == "16"
        assert browser.logged("Content Security Policy") == []
