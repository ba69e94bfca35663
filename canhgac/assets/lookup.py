"""Resolving a host name or an address to its asset, and an address to internal/external.

Everything is precomputed when an inventory is loaded: host names in one dict, networks in
one table per address family holding, for each prefix length in use, a dict from the masked
address to its entry. A lookup masks the address once per prefix length in use, longest
first, and the first hit is the longest-prefix match: a handful of dict probes, whatever the
inventory's size.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from canhgac.assets.model import Asset, Inventory, IPNetwork, host_key, parse_network
from canhgac.config_assets import DEFAULT_INTERNAL_NETWORKS

T = TypeVar("T")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrefixTable(Generic[T]):
    """Longest-prefix match over IPv4 and IPv6 networks."""

    def __init__(self, entries: Iterable[tuple[IPNetwork, T]]) -> None:
        by_length: dict[tuple[int, int], dict[int, tuple[IPNetwork, T]]] = {}
        for network, value in entries:
            key = (network.version, network.prefixlen)
            by_length.setdefault(key, {}).setdefault(int(network.network_address), (network, value))
        # (version, prefix length, netmask as int, entries), longest prefixes first.
        self._levels = [
            (version, int(_netmask(version, length)), table)
            for (version, length), table in sorted(by_length.items(), key=lambda kv: -kv[0][1])
        ]

    def longest(self, address: IPAddress) -> tuple[IPNetwork, T] | None:
        number, version = int(address), address.version
        for level_version, mask, table in self._levels:
            if level_version == version:
                found = table.get(number & mask)
                if found is not None:
                    return found
        return None


def _netmask(version: int, length: int) -> int:
    bits = 32 if version == 4 else 128
    return ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an address (an IPv4-mapped IPv6 address as its IPv4 one), or None."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the inventory says about one host name or address."""

    value: str
    asset: Asset | None
    #: The inventory network that matched (longest prefix); None for a host-name match.
    network: str | None = None
    #: For an address: in the city's ranges or not. None for a host name.
    internal: bool | None = None


class AssetIndex:
    """An inventory ready for lookups; immutable, so readers share it without locks."""

    def __init__(
        self,
        inventory: Inventory,
        internal_networks: Iterable[str] = DEFAULT_INTERNAL_NETWORKS,
    ) -> None:
        self.inventory = inventory
        self._hosts: dict[str, Asset] = {}
        # First labels of the inventory's qualified names (``dvc-web01`` of
        # ``dvc-web01.hanoi.gov.vn``), for events that log the short name; the first wins.
        self._short: dict[str, Asset] = {}
        for asset in inventory.assets:
            for host in asset.hosts:
                key = host_key(host)
                self._hosts.setdefault(key, asset)
                self._short.setdefault(key.split(".", 1)[0], asset)
        owned = [(network, asset) for asset in inventory.assets for network in asset.networks]
        self._networks: PrefixTable[Asset] = PrefixTable(owned)
        ours = [(parse_network(text), True) for text in internal_networks]
        self._internal: PrefixTable[bool] = PrefixTable([*ours, *((n, True) for n, _ in owned)])

    @classmethod
    def empty(cls, internal_networks: Iterable[str] = DEFAULT_INTERNAL_NETWORKS) -> AssetIndex:
        return cls(Inventory(), internal_networks)

    def __len__(self) -> int:
        return len(self.inventory.assets)

    def host(self, name: str) -> Resolved:
        """By the exact name, else by its first label (``dvc-web01.hanoi.gov.vn`` finds
        ``dvc-web01``), else a bare name by an inventory name's first label (``dvc-web01``
        finds ``dvc-web01.hanoi.gov.vn``; ``www.example.com`` never finds ``www.hanoi.gov.vn``).
        """
        key = host_key(name)
        short = key.split(".", 1)[0]
        asset = self._hosts.get(key) or self._hosts.get(short)
        if asset is None and short == key:
            asset = self._short.get(key)
        return Resolved(name, asset)

    def address(self, text: str) -> Resolved | None:
        """None when ``text`` is not an IP address."""
        address = parse_address(text)
        if address is None:
            return None
        match = self._networks.longest(address)
        return Resolved(
            text,
            match[1] if match else None,
            str(match[0]) if match else None,
            self._internal.longest(address) is not None,
        )
