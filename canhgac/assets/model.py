"""The inventory file's schema: city systems with their owner, criticality, hosts and networks.

```yaml
assets:
  - name: Cổng dịch vụ công
    department: Sở Thông tin và Truyền thông
    criticality: critical          # low | medium | high | critical
    description: Cổng dịch vụ công trực tuyến của thành phố
    hosts: [dvc-web01, dvc-web02.hanoi.gov.vn]
    networks: [10.20.1.0/24, 2001:db8:20::/48]
```

Host names compare case-insensitively (Unicode casefold). A network is written in CIDR form
(a bare address means just that address); host bits set are refused, since ``10.1.2.5/24``
is more likely a typo than a network. Networks may overlap (a server's /32 inside its
department's /16): the longest prefix wins. The same host or the same network given to two
systems is refused, as nothing could tell which one is meant.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from canhgac.yaml_lines import KeyPath

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Criticality(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def parse_network(value: Any) -> IPNetwork:
    """A CIDR network (``10.1.0.0/16``, ``2001:db8::/32``) or a single address."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str):
        raise ValueError(f"a network is CIDR text such as 10.20.0.0/16, not {value!r}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            loose = ipaddress.ip_network(value.strip(), strict=False)
            raise ValueError(f"{value!r} has host bits set (did you mean {loose}?)") from None
        raise ValueError(f"{value!r} is not a CIDR network or an IP address") from None


Network = Annotated[IPNetwork, BeforeValidator(parse_network)]


def host_key(name: str) -> str:
    """How host names compare: case-insensitively, without a trailing dot."""
    return name.strip().rstrip(".").casefold()


class Asset(BaseModel):
    """One city system."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=500)
    department: str = Field(min_length=1, max_length=500, description="The owning department")
    criticality: Criticality
    description: str = Field(default="", max_length=2000, description="In Vietnamese")
    hosts: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(default_factory=list)
    networks: list[Network] = Field(default_factory=list)

    @model_validator(mode="after")
    def _locatable(self) -> Asset:
        if not self.hosts and not self.networks:
            raise ValueError("give at least one of 'hosts' and 'networks'")
        return self


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    assets: list[Asset] = Field(default_factory=list)


def conflicts(inventory: Inventory) -> Iterator[tuple[KeyPath, str]]:
    """(key path, problem) for every name, host or network given twice."""
    names: dict[str, int] = {}
    hosts: dict[str, int] = {}
    networks: dict[IPNetwork, int] = {}
    for i, asset in enumerate(inventory.assets):
        first = names.setdefault(asset.name.casefold(), i)
        if first != i:
            yield ("assets", i, "name"), f"the name {asset.name!r} is also asset {first + 1}'s"
        for j, host in enumerate(asset.hosts):
            owner = hosts.setdefault(host_key(host), i)
            if owner != i:
                other = inventory.assets[owner].name
                yield ("assets", i, "hosts", j), f"host {host!r} is also in {other!r}"
        for j, network in enumerate(asset.networks):
            owner = networks.setdefault(network, i)
            if owner != i:
                other = inventory.assets[owner].name
                yield ("assets", i, "networks", j), f"network {network} is also in {other!r}"
