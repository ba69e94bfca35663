"""Every IP address, host and user name the UI shows is a link to its entity page: queue rows,
the alert page (group key, snapshot, matched events' fields, related timeline) and the
overview's top lists. Hostile values stay text: escaped on the page, URL-encoded in the link
(which always points at /entities/...), and the page they lead to shows them escaped too."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from alerting.triage.pivot import entity_url

from .conftest import ClientFor, TriageEnv, make_alert, make_event
from .html_tree import Node, parse

XSS_HOST = "<script>alert('h')</script>"
JS_USER = "javascript:alert(1)"
QUOTE_IP = '10.0.0.1" onmouseover="alert(1)'
BIDI_USER = "admin\u202egnp.exe"


@pytest.fixture
def hostile(env: TriageEnv) -> TriageEnv:
    seen = env.clock.now - timedelta(minutes=30)
    snapshot = {"host.name": XSS_HOST, "user.name": JS_USER, "source.ip": QUOTE_IP}
    events = [
        make_event("e1", seen, **snapshot, **{"url.path": "/x<y>"}),
        make_event("near", seen - timedelta(minutes=5), **{"source.ip": QUOTE_IP}),
        make_event("bidi", seen + timedelta(minutes=5), **{**snapshot, "user.name": BIDI_USER}),
    ]
    alert = make_alert(
        "a1", seen, event_ids=["e1"], snapshot=snapshot, group_key={"source.ip": QUOTE_IP}
    )
    env.add_alert(alert, events)
    return env


def _pivots(node: Node) -> list[tuple[str, str, str]]:
    """(entity kind, value in the link, text shown) of every pivot link under ``node``."""
    found = []
    for link in node.find_all("a", cls="pivot"):
        href = link.attrs["href"]
        parts = urlsplit(href)
        assert parts.scheme == "" and parts.netloc == "", href
        assert parts.path == f"/entities/{link.attrs['data-entity']}", href
        [value] = parse_qs(parts.query)["value"]
        found.append((link.attrs["data-entity"], value, link.text()))
    return found


def test_queue_rows_link_host_user_and_ip(hostile: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    html = client.get("/alerts").text
    assert XSS_HOST not in html and QUOTE_IP not in html
    row = parse(html).find("tr", cls="alert-row")
    assert sorted(_pivots(row)) == [
        ("host", XSS_HOST, XSS_HOST),
        ("ip", QUOTE_IP, QUOTE_IP),
        ("user", JS_USER, JS_USER),
    ]


def test_the_alert_page_links_every_entity_value(hostile: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    html = client.get("/alerts/a1").text
    assert XSS_HOST not in html and QUOTE_IP not in html and "\u202e" not in html
    page = parse(html)
    snapshot = _pivots(page.find("section", id="snapshot"))
    assert ("ip", QUOTE_IP, QUOTE_IP) == snapshot[0]  # the group key comes first
    assert sorted(snapshot[1:]) == [
        ("host", XSS_HOST, XSS_HOST),
        ("ip", QUOTE_IP, QUOTE_IP),
        ("user", JS_USER, JS_USER),
    ]
    # Matched events: the raw line first, the city context of its hosts and addresses, then
    # the fields folded, entity values linked.
    article = page.find("article", cls="event")
    tags = [c.tag for c in article.children if isinstance(c, Node)]
    assert tags == ["h3", "pre", "table", "details"]
    assert "event-assets" in article.find("table").classes
    assert sorted(_pivots(article.find("details"))) == sorted(snapshot[1:])
    assert "/x<y>" in article.text() and not article.find_all("a", href="/x<y>")
    # The related timeline (on source.ip too) links each row's values; a direction override
    # in a value is shown as its code, never applied.
    timeline = page.find("section", id="timeline")
    links = _pivots(timeline)
    assert ("ip", QUOTE_IP, QUOTE_IP) in links and (
        "user",
        BIDI_USER,
        "adminU+202Egnp.exe",
    ) in links
    assert len(timeline.find("tbody").find_all("tr")) == 3


def test_a_pivot_link_leads_to_the_entity_page(hostile: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = parse(client.get("/alerts/a1").text)
    host_link = next(
        a
        for a in page.find("section", id="snapshot").find_all("a", cls="pivot")
        if a.attrs["data-entity"] == "host"
    )
    entity = client.get(host_link.attrs["href"])
    assert entity.status_code == 200
    assert XSS_HOST not in entity.text
    title = parse(entity.text).find("h1", id="entity-title")
    assert title.attrs["data-kind"] == "host" and XSS_HOST in title.text()


def test_overview_top_lists_link_to_entities(hostile: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("ops")
    page = parse(client.get("/overview").text)
    assert ("ip", QUOTE_IP) in [(k, v) for k, v, _ in _pivots(page.find(id="ip-bars"))]
    assert ("host", XSS_HOST) in [(k, v) for k, v, _ in _pivots(page.find(id="host-bars"))]


def test_other_fields_and_empty_values_are_not_links(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(make_alert("a2", env.clock.now, snapshot={"url.path": "/admin", "host.name": ""}))
    client, _ = client_for("analyst")
    page = parse(client.get("/alerts/a2").text)
    assert _pivots(page.find("section", id="snapshot")) == []
    assert _pivots(parse(client.get("/alerts").text).find("tr", cls="alert-row")) == []


def test_entity_url_encodes_the_value_and_knows_the_kinds() -> None:
    assert entity_url("ip", "10.0.0.1") == "/entities/ip?value=10.0.0.1"
    assert entity_url("user", "a&b=c d") == "/entities/user?value=a%26b%3Dc+d"
    with pytest.raises(ValueError, match="no entity kind"):
        entity_url("javascript:", "x")
