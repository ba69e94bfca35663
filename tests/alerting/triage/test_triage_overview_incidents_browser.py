"""In a real headless Chromium: the overview's incidents block with hostile incident titles
stays inert under the strict CSP, and its links open the incident pages."""

from __future__ import annotations

import pytest

from alerting.triage.incident_actions import IncidentActions
from alerting.triage.server import WebServer
from canhgac.models import Severity

from .cdp import Chromium
from .conftest import TriageEnv
from .test_triage_browser import (
    ARTIFACTS,
    PAYLOADS,
    assert_inert,
    browser,  # noqa: F401 - fixture
    log_in,
    server,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.browser

#: Incident titles are one line of at most 300 characters: the payloads in three titles.
TITLES = [" ⁞ ".join(PAYLOADS[:3]), " ⁞ ".join(PAYLOADS[3:6]), " ⁞ ".join(PAYLOADS[6:])]


def test_overview_incidents_block_is_inert_and_links_to_the_incident(
    env: TriageEnv,
    server: WebServer,  # noqa: F811 - fixture
    browser: Chromium,  # noqa: F811 - fixture
) -> None:
    actions = IncidentActions(env.store.incidents(), env.store, env.triage, clock=env.clock)
    made = [
        actions.create("analyst", f"Sự cố {title}", severity=severity).id
        for title, severity in zip(
            TITLES, (Severity.critical, Severity.high, Severity.low), strict=True
        )
    ]
    log_in(browser, server, "analyst")
    browser.viewport(1400, 1000)
    browser.navigate(f"{server.url}/overview?lang=en")
    shown = browser.evaluate("document.querySelector('#incident-latest').innerText")
    for title in TITLES[:2]:
        assert title in shown  # the text itself, never markup
    assert_inert(browser, must_show=TITLES[0])
    total = browser.evaluate("document.querySelector('#incidents-open-total').innerText")
    assert total == "3"
    ids = browser.evaluate(
        "[...document.querySelectorAll('#incident-latest li')].map(li => li.dataset.incidentId)"
    )
    assert sorted(ids) == sorted(made)
    browser.screenshot(ARTIFACTS / "triage-overview-incidents-en.png")
    browser.click(
        f"#incident-latest li[data-incident-id='{made[0]}'] a.incident-link", navigates=True
    )
    assert browser.evaluate("location.pathname") == f"/incidents/{made[0]}"
    assert_inert(browser, must_show=TITLES[0])
