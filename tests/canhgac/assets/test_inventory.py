"""The asset inventory: its schema and errors, lookups, priority, and reload on change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from canhgac.assets.context import alert_context, event_context
from canhgac.assets.inventory import AssetInventory
from canhgac.assets.loader import load_inventory, parse_inventory
from canhgac.assets.lookup import AssetIndex
from canhgac.assets.model import Criticality
from canhgac.assets.priority import MAX_PRIORITY, alert_priority, band, priority, with_priority
from canhgac.config import AssetsConfig
from canhgac.config_loader import load_settings
from canhgac.errors import ConfigError
from canhgac.models import Alert, Severity

EXAMPLE = Path(__file__).parents[3] / "deploy" / "assets.example.yaml"

INVENTORY = """\
assets:
  - name: Cổng dịch vụ công
    department: Sở Thông tin và Truyền thông
    criticality: critical
    description: Cổng dịch vụ công trực tuyến
    hosts: [DVC-Web01, dichvucong.hanoi.gov.vn]
    networks: [10.20.0.0/16, "2001:db8:20::/48"]
  - name: Máy chủ CSDL
    department: Sở Thông tin và Truyền thông
    criticality: low
    hosts: [dvc-db01]
    networks: [10.20.1.0/24, 10.20.1.50/32, "2001:db8:20:1::/64"]
  - name: Camera giao thông
    department: Sở Giao thông Vận tải
    criticality: medium
    networks: [203.0.113.0/24]
"""


def _index(text: str = INVENTORY, **kwargs: object) -> AssetIndex:
    return AssetIndex(parse_inventory(text, "inv.yaml"), **kwargs)  # type: ignore[arg-type]


def _name(resolved: object) -> str | None:
    asset = getattr(resolved, "asset", None)
    return None if asset is None else str(asset.name)


# --- schema and errors -------------------------------------------------------------------------
def test_the_deploy_example_loads_and_resolves_its_overlapping_networks() -> None:
    index = AssetIndex(load_inventory(EXAMPLE))
    assert len(index) >= 8
    names = {asset.name for asset in index.inventory.assets}
    assert {"Hệ thống e-Cabinet", "Hồ sơ sức khỏe điện tử", "Camera giao thông"} <= names
    assert _name(index.address("10.20.1.50")) == "Cơ sở dữ liệu dịch vụ công"
    assert _name(index.address("10.20.1.51")) == "Cổng dịch vụ công Hà Nội"


def test_errors_name_the_file_line_and_key_of_every_problem() -> None:
    text = """\
assets:
  - name: A
    department: D
    criticality: extreme
    hosts: [a]
  - name: B
    department: D
    criticality: low
    networks: [10.1.2.5/24, not-a-net]
    color: red
"""
    with pytest.raises(ConfigError) as info:
        parse_inventory(text, "inv.yaml")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("inv.yaml:4: 'assets.0.criticality': Input should be 'low'")
    assert lines[1] == (
        "inv.yaml:9: 'assets.1.networks.0': '10.1.2.5/24' has host bits set"
        " (did you mean 10.1.2.0/24?)"
    )
    assert lines[2] == (
        "inv.yaml:9: 'assets.1.networks.1': 'not-a-net' is not a CIDR network or an IP address"
    )
    assert lines[3] == "inv.yaml:10: 'assets.1.color': unknown key"
    assert len(lines) == 4


def test_an_asset_needs_a_host_or_a_network() -> None:
    text = "assets:\n  - name: A\n    department: D\n    criticality: low\n"
    with pytest.raises(ConfigError, match=r"^inv.yaml:2: 'assets.0': give at least one"):
        parse_inventory(text, "inv.yaml")


def test_a_host_or_network_given_to_two_assets_is_refused_with_its_line() -> None:
    text = """\
assets:
  - {name: A, department: D, criticality: low, hosts: [web01], networks: [10.0.0.0/8]}
  - name: B
    department: D
    criticality: high
    hosts:
      - WEB01
    networks:
      - 10.0.0.0/8
"""
    with pytest.raises(ConfigError) as info:
        parse_inventory(text, "inv.yaml")
    assert str(info.value).splitlines() == [
        "inv.yaml:7: 'assets.1.hosts.0': host 'WEB01' is also in 'A'",
        "inv.yaml:9: 'assets.1.networks.0': network 10.0.0.0/8 is also in 'A'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("assets: [unclosed\n", r"^inv.yaml:2: invalid YAML"),
        ("- just a list\n", r"^inv.yaml:1: the inventory must be a mapping"),
    ],
)
def test_broken_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_inventory(text, "inv.yaml")


def test_an_unreadable_or_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the asset inventory"):
        load_inventory(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"assets:\n  - name: C\xf4ng\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_inventory(bad)


def test_the_config_section_is_optional_and_checks_its_networks(tmp_path: Path) -> None:
    assert load_settings().assets.path is None
    config = tmp_path / "canhgac.yaml"
    config.write_text("assets:\n  path: inv.yaml\n  internal_networks: [10.0.0.0/33]\n")
    with pytest.raises(ConfigError, match=r":3: 'assets.internal_networks'.*10.0.0.0/33"):
        load_settings(config)


# --- lookup ------------------------------------------------------------------------------------
def test_longest_prefix_wins_among_overlapping_networks_in_both_families() -> None:
    index = _index()
    assert _name(index.address("10.20.1.50")) == "Máy chủ CSDL"
    assert index.address("10.20.1.50").network == "10.20.1.50/32"  # type: ignore[union-attr]
    assert index.address("10.20.1.7").network == "10.20.1.0/24"  # type: ignore[union-attr]
    assert _name(index.address("10.20.9.9")) == "Cổng dịch vụ công"
    assert _name(index.address("2001:db8:20:1::7")) == "Máy chủ CSDL"
    assert _name(index.address("2001:DB8:20:2::7")) == "Cổng dịch vụ công"
    assert _name(index.address("::ffff:10.20.1.50")) == "Máy chủ CSDL"
    assert _name(index.address("10.21.0.1")) is None


def test_internal_is_the_configured_ranges_plus_the_inventory_networks() -> None:
    index = _index()
    assert index.address("192.168.1.1").internal is True  # type: ignore[union-attr]
    assert index.address("fd00::1").internal is True  # type: ignore[union-attr]
    assert index.address("::1").internal is True  # type: ignore[union-attr]
    assert index.address("203.0.113.9").internal is True  # type: ignore[union-attr]  # inventory
    assert index.address("8.8.8.8").internal is False  # type: ignore[union-attr]
    assert index.address("2001:4860::8888").internal is False  # type: ignore[union-attr]
    narrow = _index(internal_networks=["172.16.0.0/12"])
    assert narrow.address("192.168.1.1").internal is False  # type: ignore[union-attr]
    assert index.address("not an ip") is None


def test_host_names_match_case_insensitively_and_by_their_first_label() -> None:
    index = _index()
    assert _name(index.host("dvc-web01")) == "Cổng dịch vụ công"
    assert _name(index.host("DVC-WEB01.hanoi.gov.vn.")) == "Cổng dịch vụ công"
    assert _name(index.host("DichVuCong.Hanoi.Gov.VN")) == "Cổng dịch vụ công"
    assert _name(index.host("DICHVUCONG")) == "Cổng dịch vụ công"  # short name of a FQDN entry
    assert _name(index.host("dichvucong.example.com")) is None  # another domain's namesake
    assert _name(index.host("dvc-db01")) == "Máy chủ CSDL"
    assert _name(index.host("unknown-host")) is None


def test_event_context_resolves_host_source_and_destination() -> None:
    fields = {
        "host.name": "DVC-WEB01",
        "source.ip": "8.8.4.4",
        "destination.ip": "10.20.1.50",
        "user.name": "10.20.1.50",  # not a context field
        "host.ip": ["10.20.1.7", 42],
    }
    found = [
        (c.field, c.role, _name(c.resolved), c.resolved.internal)
        for c in event_context(_index(), fields)
    ]
    assert found == [
        ("host.name", "host", "Cổng dịch vụ công", None),
        ("source.ip", "source", None, False),
        ("destination.ip", "destination", "Máy chủ CSDL", True),
        ("host.ip", "host", "Máy chủ CSDL", True),
    ]


def _alert(severity: Severity, **fields: object) -> Alert:
    return Alert(
        id="a1",
        rule_id="r1",
        rule_title="t",
        severity=severity,
        first_seen="2026-01-01T00:00:00.000000Z",
        last_seen="2026-01-01T00:00:00.000000Z",
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at="2026-01-01T00:00:00.000000Z",
        **fields,  # type: ignore[arg-type]
    )


def test_alert_context_puts_the_group_key_first_without_repeats() -> None:
    alert = _alert(
        Severity.high,
        group_key={"source.ip": "203.0.113.5"},
        snapshot={"source.ip": "203.0.113.5", "host.name": "dvc-db01"},
    )
    found = [(c.field, c.resolved.value) for c in alert_context(_index(), alert)]
    assert found == [("source.ip", "203.0.113.5"), ("host.name", "dvc-db01")]


# --- priority ----------------------------------------------------------------------------------
def test_priority_is_severity_times_criticality_on_a_0_to_16_scale() -> None:
    assert priority(Severity.critical, Criticality.critical) == MAX_PRIORITY == 16
    assert priority(Severity.high, Criticality.low) == 3
    assert priority(Severity.high, None) == 6  # unknown asset counts as medium
    assert priority(Severity.informational, Criticality.critical) == 0
    assert [band(v) for v in (16, 12, 11, 8, 7, 4, 3, 0)] == [
        "urgent",
        "urgent",
        "high",
        "high",
        "medium",
        "medium",
        "low",
        "low",
    ]


def test_an_alert_takes_the_priority_of_its_most_critical_asset() -> None:
    index = _index()
    alert = _alert(Severity.high, snapshot={"host.name": "dvc-db01", "destination.ip": "10.20.9.9"})
    found = alert_priority(index, alert)
    assert (found.priority, _name(found)) == (12, "Cổng dịch vụ công")
    stored = with_priority(index, alert)
    assert (stored.priority, stored.asset) == (12, "Cổng dịch vụ công")
    nothing = with_priority(index, _alert(Severity.low, snapshot={"source.ip": "8.8.8.8"}))
    assert (nothing.priority, nothing.asset) == (2, None)


# --- running inventory -------------------------------------------------------------------------
def _bump(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # a new mtime even within the filesystem's timestamp granularity
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_changed_file_is_reloaded_and_a_broken_one_keeps_the_last_good(tmp_path: Path) -> None:
    path = tmp_path / "assets.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    inventory = AssetInventory(AssetsConfig(path=str(path)))
    assert _name(inventory.current().host("dvc-db01")) == "Máy chủ CSDL"
    assert inventory.check() is None  # nothing changed

    _bump(path, INVENTORY.replace("Máy chủ CSDL", "CSDL dịch vụ công"))
    assert inventory.check() is True
    assert _name(inventory.current().host("dvc-db01")) == "CSDL dịch vụ công"

    _bump(path, INVENTORY.replace("criticality: low", "criticality: huge"))
    assert inventory.check() is False
    assert _name(inventory.current().host("dvc-db01")) == "CSDL dịch vụ công"
    assert inventory.stats.errors == 1
    assert "assets.1.criticality" in (inventory.stats.last_error or "")

    path.unlink()
    assert inventory.check() is False
    assert len(inventory.current()) == 3
    assert inventory.stats.reloads == 1


def test_a_broken_file_at_start_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "assets.yaml"
    path.write_text("assets:\n  - name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="assets.0.department"):
        AssetInventory(AssetsConfig(path=str(path)))


def test_without_a_path_there_is_an_empty_inventory_with_the_internal_ranges() -> None:
    inventory = AssetInventory(AssetsConfig())
    inventory.start()  # nothing to watch: no thread
    inventory.stop()
    assert len(inventory.current()) == 0
    assert inventory.current().address("10.1.1.1").internal is True  # type: ignore[union-attr]
    assert inventory.check() is None
