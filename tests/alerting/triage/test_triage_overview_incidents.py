"""The overview's incidents block: incidents not closed by severity and status, the newest
of them linking to their pages, titles escaped, in Vietnamese and English."""

from __future__ import annotations

from datetime import timedelta

from alerting.triage.incident_actions import IncidentActions
from alerting.triage.incident_summary import incident_summary
from canhgac.models import Severity
from canhgac.store.incidents import IncidentStatus
from canhgac.store.triage import CloseReason
from tests.alerting.triage.conftest import ClientFor, TriageEnv
from tests.alerting.triage.html_tree import parse

XSS = '<img src=x onerror="alert(1)">'


def _open_incidents(env: TriageEnv) -> dict[str, str]:
    """Five incidents: 2 high open, 1 high investigating, 1 critical contained, 1 closed."""
    actions = IncidentActions(env.store.incidents(), env.store, env.triage, clock=env.clock)
    made: dict[str, str] = {}
    for name, severity in [
        ("h1", Severity.high),
        ("h2", Severity.high),
        ("h3", Severity.high),
        ("c1", Severity.critical),
        ("x1", Severity.low),
    ]:
        env.clock.advance(timedelta(minutes=1))
        title = f"Sự cố {name} {XSS}" if name == "c1" else f"Sự cố {name}"
        made[name] = actions.create("analyst", title, severity=severity).id
    actions.assign("analyst", made["h3"], "analyst")  # open -> investigating
    actions.set_status("analyst", made["c1"], IncidentStatus.contained)
    actions.close("analyst", made["x1"], CloseReason.true_positive)
    return made


def test_the_summary_counts_incidents_not_closed_by_severity_and_status(env: TriageEnv) -> None:
    made = _open_incidents(env)
    summary = incident_summary(env.store.incidents())
    assert summary.total == 4 and not summary.capped
    assert summary.counts[Severity.high] == {
        IncidentStatus.open: 2,
        IncidentStatus.investigating: 1,
        IncidentStatus.contained: 0,
    }
    assert summary.counts[Severity.critical][IncidentStatus.contained] == 1
    assert sum(summary.counts[Severity.low].values()) == 0  # the closed one is not counted
    assert list(summary.counts)[0] is Severity.critical  # most severe first
    assert (summary.by_status(IncidentStatus.open), summary.by_severity(Severity.high)) == (2, 3)
    # Newest first, the closed one left out.
    assert [i.id for i in summary.latest] == [made["c1"], made["h3"], made["h2"], made["h1"]]


def test_the_overview_shows_the_incidents_escaped_and_linked(
    env: TriageEnv, client_for: ClientFor
) -> None:
    made = _open_incidents(env)
    client, _ = client_for("analyst")
    page = client.get("/overview?lang=en")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;img src=x" in page.text
    block = parse(page.text).find("section", id="incidents-overview")
    assert block.find("h2").text() == "Incidents not closed"
    high = block.find("tr", data_severity="high")
    cells = {td.attrs["data-status"]: td for td in high.find_all("td") if "data-status" in td.attrs}
    assert cells["open"].text() == "2" and cells["investigating"].text() == "1"
    assert cells["open"].find("a").attrs["href"] == "/incidents?severity=high&status=open"
    assert cells["contained"].text() == "0" and not cells["contained"].find_all("a")
    assert block.find("td", id="incidents-open-total").text() == "4"
    latest = block.find("ul", id="incident-latest").find_all("li")
    assert [li.attrs["data-incident-id"] for li in latest] == [
        made["c1"],
        made["h3"],
        made["h2"],
        made["h1"],
    ]
    link = latest[0].find("a", cls="incident-link")
    assert link.attrs["href"] == f"/incidents/{made['c1']}"
    assert link.text() == f"Sự cố c1 {XSS}"  # shown as text, never as markup
    assert not block.find_all("img")
    assert client.get(link.attrs["href"]).status_code == 200

    vietnamese = parse(client.get("/overview?lang=vi").text)
    assert vietnamese.find("section", id="incidents-overview").find("h2").text() == (
        "Sự cố chưa đóng"
    )


def test_the_overview_says_when_no_incident_is_open(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    block = parse(client.get("/overview?lang=en").text).find("section", id="incidents-overview")
    assert block.find("td", id="incidents-open-total").text() == "0"
    assert block.find("li", cls="empty").text() == "No incident is open."
