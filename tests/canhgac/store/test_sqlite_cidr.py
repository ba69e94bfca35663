"""``cg_cidr``, Sigma's ``|cidr`` for SQLite, answers what Python's ``ipaddress`` answers
(an IPv4-mapped IPv6 address counting as its IPv4 address), through SQL as rules call it."""

from __future__ import annotations

import ipaddress
import json
import random
import sqlite3

from canhgac.store.sqlite.functions import register_functions

NETWORKS = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.1.0/24",
    "192.168.1.7/32",
    "0.0.0.0/0",
    "fd00::/8",
    "2001:db8::/32",
    "::/0",
    "::ffff:0:0/96",
    "10.0.0.0/33",  # not a network
    "nonsense",
]


def _expected(value: object, network: str) -> bool:
    if not isinstance(value, str):
        return False
    try:
        address = ipaddress.ip_address(value.strip())
        net = ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.version == net.version and address in net


def _values(rng: random.Random) -> list[object]:
    values: list[object] = [None, 42, "", " ", "10.0.0.1 ", "10.0.0.256", "::ffff:10.1.2.3"]
    for _ in range(600):
        v4 = ipaddress.IPv4Address(
            rng.choice([rng.getrandbits(32), 0x0A000000 | rng.getrandbits(24)])
        )
        v6 = ipaddress.IPv6Address(
            rng.choice([rng.getrandbits(128), (0xFD << 120) | rng.getrandbits(64)])
        )
        values += [str(v4), str(v6), v6.exploded.upper(), f"::ffff:{v4}", str(v4)[:-1] + "x"]
    return values


def test_cidr_answers_as_ipaddress_does() -> None:
    conn = sqlite3.connect(":memory:")
    register_functions(conn)
    values = _values(random.Random(14))
    for network in NETWORKS:
        answers = [
            bool(row[0])
            for row in conn.execute(
                "SELECT cg_cidr(value, ?) FROM json_each(?)",
                (network, json.dumps(values)),
            )
        ]
        assert answers == [_expected(value, network) for value in values], network
