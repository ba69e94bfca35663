"""Asset lookups: longest-prefix address matches and host names against a large inventory.

    .venv/bin/python bench/bench_asset_lookup.py                  # 2,000 assets, 200,000 lookups
    .venv/bin/python bench/bench_asset_lookup.py --assets 10000 --lookups 1000000

Builds an inventory of ``--assets`` systems, each with a /24, a /28 and a /32 inside it (so
lookups meet overlapping prefixes), an IPv6 /64 and a host name, and times the index build and
``--lookups`` resolutions of a mix of inventoried and external IPv4 and IPv6 addresses, and of
host names. Prints microseconds per lookup beside a linear scan over the same networks (what
an index-free lookup would cost); nothing is asserted.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time

from canhgac.assets.lookup import AssetIndex
from canhgac.assets.model import Asset, Criticality, Inventory


def inventory(count: int) -> Inventory:
    assets = []
    for i in range(count):
        base = f"10.{i // 256}.{i % 256}"
        assets.append(
            Asset(
                name=f"Hệ thống {i}",
                department="Sở Thông tin và Truyền thông",
                criticality=list(Criticality)[i % 4],
                hosts=[f"srv-{i:05d}.hanoi.gov.vn"],
                networks=[
                    ipaddress.ip_network(f"{base}.0/24"),
                    ipaddress.ip_network(f"{base}.16/28"),
                    ipaddress.ip_network(f"{base}.20/32"),
                    ipaddress.ip_network(f"2001:db8:{i:x}::/64"),
                ],
            )
        )
    return Inventory(assets=assets)


def probes(count: int, assets: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        i = rng.randrange(assets)
        out.append(
            rng.choice(
                [
                    f"10.{i // 256}.{i % 256}.{rng.randrange(256)}",
                    f"2001:db8:{i:x}::{rng.randrange(65536):x}",
                    f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.1",
                ]
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(13)
    built = inventory(args.assets)
    start = time.perf_counter()
    index = AssetIndex(built)
    print(f"index of {args.assets} assets built in {(time.perf_counter() - start) * 1e3:.1f} ms")

    addresses = probes(args.lookups, args.assets, rng)
    start = time.perf_counter()
    found = sum(1 for text in addresses if (r := index.address(text)) and r.asset)
    took = time.perf_counter() - start
    print(f"addresses: {took / len(addresses) * 1e6:.2f} µs each ({found} in the inventory)")

    names = [f"SRV-{rng.randrange(args.assets):05d}" for _ in range(args.lookups)]
    start = time.perf_counter()
    found = sum(1 for name in names if index.host(name).asset)
    took = time.perf_counter() - start
    print(f"host names: {took / len(names) * 1e6:.2f} µs each ({found} found)")

    networks = [(n, a) for a in built.assets for n in a.networks]
    sample = addresses[:2000]
    start = time.perf_counter()
    for text in sample:
        address = ipaddress.ip_address(text)
        matches = [n for n, _ in networks if n.version == address.version and address in n]
        max(matches, key=lambda n: n.prefixlen, default=None)
    scan = (time.perf_counter() - start) / len(sample)
    print(f"linear scan for comparison: {scan * 1e6:.0f} µs each")


if __name__ == "__main__":
    main()
