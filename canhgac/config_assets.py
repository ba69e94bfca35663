"""The ``assets`` section: where the city's asset inventory is and which addresses are ours.

Apart from :mod:`canhgac.config` (one section, one module). The inventory file itself is read
by :mod:`canhgac.assets.loader`; without ``path`` there is no inventory and everything works
as before (addresses are still internal or external by ``internal_networks``).
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from pydantic import Field, field_validator

from canhgac.config_base import Duration, Section

#: RFC 1918, loopback (both families), IPv6 unique local addresses (RFC 4193).
DEFAULT_INTERNAL_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "::1/128",
    "fc00::/7",
)


class AssetsConfig(Section):
    path: str | None = Field(
        default=None,
        description="The asset inventory YAML (see deploy/assets.example.yaml); unset: none.",
    )
    internal_networks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INTERNAL_NETWORKS),
        description="CIDRs of the city's own addresses besides the inventory's networks "
        "(default: RFC 1918, loopback, IPv6 ULA); an address in none of them is external.",
    )
    reload_every: Duration = Field(
        default=timedelta(seconds=5),
        gt=timedelta(0),
        description="How often the inventory file is checked for a change.",
    )

    @field_validator("internal_networks")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a CIDR network: {exc}") from None
        return values
