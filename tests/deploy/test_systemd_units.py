"""deploy/systemd/: one unit per role plus the city-host collector, all hardened alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.cli import app

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
ROLE_UNITS = {f"canhgac-{role}.service": role for role in ("collect", "index", "detect", "web")}
ALL_UNITS = [*ROLE_UNITS, "canhgac-collector-host.service"]
HARDENING = {
    "User": "canhgac",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "ReadWritePaths": "/var/lib/canhgac",
}


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> values (systemd allows repeated keys)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (UNITS / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def test_there_is_a_unit_per_role_and_nothing_else() -> None:
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted(ALL_UNITS)


@pytest.mark.parametrize("name", ALL_UNITS)
def test_each_unit_is_hardened(name: str) -> None:
    service = _unit(name)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == [value], (name, key)
    read_only = service["ReadOnlyPaths"][0].split()
    assert "/etc/canhgac" in read_only
    # Secrets come from a root-only environment file, not from the YAML.
    assert service["EnvironmentFile"] == ["/etc/canhgac/secrets.env"]
    capabilities = service["CapabilityBoundingSet"][0].split()
    assert capabilities in ([], ["CAP_NET_BIND_SERVICE"]), name
    assert service.get("AmbientCapabilities", [""])[0].split() == capabilities


@pytest.mark.parametrize("name", ALL_UNITS)
def test_each_unit_starts_a_real_canhgac_command(name: str) -> None:
    [start] = _unit(name)["Service"]["ExecStart"]
    binary, command, flag, config = start.split()
    assert binary.endswith("/bin/canhgac") and flag == "--config"
    known = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    assert command in known
    assert command == ROLE_UNITS.get(name, "collect")
    assert config.startswith("/etc/canhgac/")


def test_the_city_host_collector_reads_logs_and_writes_only_its_state() -> None:
    service = _unit("canhgac-collector-host.service")["Service"]
    assert "/var/log" in service["ReadOnlyPaths"][0].split()
    assert service["SupplementaryGroups"] == ["adm"]
    assert service["CapabilityBoundingSet"] == [""]
    assert service["MemoryMax"] and service["CPUQuota"]  # never starves the watched host
