"""The city context in the triage UI and API: an alert's hosts and addresses with their asset
(name, department, criticality, description) and internal/external, entity pages, and the
queue sorted by priority (rule severity x asset criticality)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml

from canhgac.config import AssetsConfig
from canhgac.models import Severity

from .conftest import ClientFor, TriageEnv, make_alert, make_event
from .html_tree import parse

XSS = "<script>window.__pwned=1</script><img src=x onerror=alert(1)>"
INVENTORY = {
    "assets": [
        {
            "name": "Cổng dịch vụ công",
            "department": f"Sở Thông tin và Truyền thông {XSS}",
            "criticality": "critical",
            "description": f"Cổng dịch vụ công trực tuyến {XSS}",
            "hosts": ["DVC-WEB01"],
            "networks": ["10.20.1.0/24", "2001:db8:20::/48"],
        },
        {
            "name": "Camera giao thông",
            "department": "Sở Giao thông Vận tải",
            "criticality": "medium",
            "hosts": ["cam-nvr01"],
            "networks": ["10.60.0.0/16"],
        },
    ]
}


def with_inventory(env: TriageEnv, inventory: dict[str, object] = INVENTORY) -> Path:
    """Point ``env``'s settings at an inventory file (before its app is made)."""
    path = env.tmp_path / "assets.yaml"
    path.write_text(yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8")
    env.settings = env.settings.model_copy(update={"assets": AssetsConfig(path=str(path))})
    return path


def seed(env: TriageEnv) -> None:
    now = env.clock.now
    event = make_event(
        "ev1",
        now - timedelta(minutes=5),
        **{"host.name": "DVC-WEB01", "source.ip": "10.1.2.3", "destination.ip": "1.1.1.1"},
    )
    env.add_alert(
        make_alert(
            "web",
            now - timedelta(minutes=5),
            title="Quét thư mục web",
            severity=Severity.high,
            snapshot={"host.name": "dvc-web01", "source.ip": "8.8.8.8"},
            group_key={"destination.ip": "2001:db8:20::7"},
            event_ids=["ev1"],
            priority=12,
            asset="Cổng dịch vụ công",
        ),
        [event],
    )
    env.add_alert(
        make_alert(
            "cam",
            now - timedelta(minutes=1),
            title="Đăng nhập camera",
            severity=Severity.critical,
            snapshot={"host.name": "cam-nvr01", "source.ip": "192.168.5.5"},
            priority=8,
            asset="Camera giao thông",
        )
    )
    env.add_alert(make_alert("old", now, title="Cảnh báo cũ", severity=Severity.low))


def _rows(page: str) -> list[str]:
    section = page.split('id="asset-context"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<tr class="asset-row" data-field="([^"]+)"', section)


def test_the_alert_page_shows_each_host_and_address_with_its_asset(
    env: TriageEnv, client_for: ClientFor
) -> None:
    with_inventory(env)
    seed(env)
    client, _ = client_for("analyst")
    page = client.get("/alerts/web").text
    assert _rows(page) == ["destination.ip", "host.name", "source.ip"]
    section = page.split('id="asset-context"', 1)[1].split("</section>", 1)[0]
    names = re.findall(r'class="asset-name"><bdi>([^<]*)</bdi>', section)
    assert names == ["Cổng dịch vụ công", "Cổng dịch vụ công"]  # the destination and the host
    assert "(2001:db8:20::/48)" in section
    assert "Đặc biệt quan trọng" in section  # criticality, in Vietnamese
    assert "Nội bộ" in section and "Bên ngoài" in section  # the city's address, 8.8.8.8
    assert "Không có trong danh mục" in section  # 8.8.8.8 is no asset
    assert 'href="/entities/host?value=dvc-web01"' in section
    assert 'data-priority="12"' in page.split('id="alert-priority"', 1)[1][:400]
    # Inventory text is escaped: the payload is text, never markup.
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in section
    english = client.get("/alerts/web?lang=en").text
    assert "City context" in english and "Critical" in english and "External" in english


def test_each_matched_event_shows_its_own_hosts_and_addresses_in_context(
    env: TriageEnv, client_for: ClientFor
) -> None:
    with_inventory(env)
    seed(env)
    client, _ = client_for("analyst")
    page = parse(client.get("/alerts/web?lang=en").text)
    event = page.find("article", cls="event", data_event_id="ev1")
    rows = {row.attrs["data-field"]: row for row in event.find_all("tr", cls="asset-row")}
    # The event's own values (the alert's snapshot names other ones: dvc-web01, 8.8.8.8).
    assert {field: row.find("a", cls="pivot").text() for field, row in rows.items()} == {
        "host.name": "DVC-WEB01",
        "source.ip": "10.1.2.3",
        "destination.ip": "1.1.1.1",
    }
    host = rows["host.name"]
    assert host.find("td", cls="asset-name").text() == "Cổng dịch vụ công"
    assert host.find("td", cls="asset-department").text() == f"Sở Thông tin và Truyền thông {XSS}"
    assert host.find("td", cls="asset-criticality").text() == "Critical"
    assert not host.find_all("td", cls="asset-description")  # the alert's table has it
    assert rows["source.ip"].find("td", cls="asset-zone").text() == "Internal"
    assert rows["source.ip"].find("td", cls="hint").text() == "Not in the inventory"
    assert rows["destination.ip"].find("td", cls="asset-zone").text() == "External"
    assert not event.find_all("script") and not event.find_all("img")  # inventory text escaped
    assert rows["destination.ip"].find("a").attrs["href"] == "/entities/ip?value=1.1.1.1"


def test_an_event_naming_no_host_or_address_has_no_context_table(
    env: TriageEnv, client_for: ClientFor
) -> None:
    now = env.clock.now
    env.add_alert(
        make_alert("bare", now, event_ids=["ev-bare"]),
        [make_event("ev-bare", now, **{"user.name": "an"})],
    )
    client, _ = client_for("analyst")
    event = parse(client.get("/alerts/bare").text).find("article", data_event_id="ev-bare")
    assert not event.find_all("table", cls="event-assets")


def test_without_an_inventory_addresses_are_still_internal_or_external(
    env: TriageEnv, client_for: ClientFor
) -> None:
    seed(env)
    client, _ = client_for("analyst")
    page = client.get("/alerts/cam").text
    section = page.split('id="asset-context"', 1)[1].split("</section>", 1)[0]
    assert "Nội bộ" in section  # 192.168.5.5: RFC 1918
    assert section.count("Không có trong danh mục") == 2
    assert "—" in client.get("/alerts/old").text.split('id="alert-priority"', 1)[1][:300]


def test_the_queue_shows_and_sorts_by_priority(env: TriageEnv, client_for: ClientFor) -> None:
    with_inventory(env)
    seed(env)
    client, _ = client_for("analyst")
    page = client.get("/alerts").text
    assert 'id="sort-priority"' in page
    ordered = client.get("/alerts?sort=priority").text
    ids = re.findall(r'class="alert-row" data-alert-id="([^"]+)"', ordered)
    assert ids == ["web", "cam", "old"]
    shown = re.findall(r'data-priority="(\d*)"', ordered)
    assert shown == ["12", "8", ""]


def test_entity_pages_show_the_asset_and_zone(env: TriageEnv, client_for: ClientFor) -> None:
    with_inventory(env)
    client, _ = client_for("analyst")
    host = client.get("/entities/host?value=DVC-Web01.hanoi.gov.vn").text
    facts = host.split('id="asset-context"', 1)[1].split("</dl>", 1)[0]
    assert "Cổng dịch vụ công" in facts and "Sở Thông tin và Truyền thông" in facts
    assert "&lt;img src=x onerror=alert(1)&gt;" in facts and "<img" not in facts
    ip = client.get("/entities/ip?value=10.60.3.4").text
    facts = ip.split('id="asset-context"', 1)[1].split("</dl>", 1)[0]
    assert "Camera giao thông" in facts and "(10.60.0.0/16)" in facts and "Nội bộ" in facts
    outside = client.get("/entities/ip?value=1.1.1.1").text
    assert "Bên ngoài" in outside.split('id="asset-context"', 1)[1].split("</dl>", 1)[0]
    assert 'id="asset-context"' not in client.get("/entities/user?value=an").text


def test_api_alerts_carry_their_priority_and_context(env: TriageEnv, client_for: ClientFor) -> None:
    with_inventory(env)
    seed(env)
    client, _ = client_for("analyst")
    one = client.get("/api/v1/alerts/web").json()
    assert (one["priority"], one["asset"]) == (12, "Cổng dịch vụ công")
    context = {c["field"]: c for c in one["context"]}
    assert context["destination.ip"]["asset"]["criticality"] == "critical"
    assert context["destination.ip"]["network"] == "2001:db8:20::/48"
    assert context["destination.ip"]["internal"] is True
    assert context["source.ip"] == {
        "field": "source.ip",
        "role": "source",
        "value": "8.8.8.8",
        "internal": False,
        "network": None,
        "asset": None,
    }
    assert context["host.name"]["asset"]["department"].endswith(XSS)  # JSON: data as given
    page = client.get("/api/v1/alerts", params={"sort": "priority"}).json()
    assert [a["id"] for a in page["items"]] == ["web", "cam", "old"]
    assert page["items"][1]["context"][0]["asset"]["name"] == "Camera giao thông"
    details = client.get("/api/v1/alerts/web/details").json()
    assert details["alert"]["context"] == one["context"]
    [event] = details["events"]
    assert [(c["field"], c["internal"]) for c in event["context"]] == [
        ("host.name", None),
        ("source.ip", True),
        ("destination.ip", False),
    ]
    assert event["context"][0]["asset"]["name"] == "Cổng dịch vụ công"
