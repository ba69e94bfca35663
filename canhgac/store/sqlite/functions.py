"""SQL functions the SQLite store registers for detection queries.

Python's sqlite3 has no ``REGEXP`` until one is registered (pySigma's SQLite backend emits it
for ``|re``), and SQLite folds ASCII case only, so Sigma's case-insensitive matching of every
letter needs ``cg_fold``. ``cg_cidr`` and ``cg_number`` give ``|cidr`` and numeric comparisons
their Sigma meaning over values stored as text.
"""

from __future__ import annotations

import ipaddress
import re
import sqlite3
from functools import lru_cache
from typing import Any

from canhgac.text import fold


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> bool:
    # SQLite calls regexp(pattern, value) for "value REGEXP pattern"; Sigma regexes are
    # unanchored searches.
    if pattern is None or value is None:
        return False
    return _compiled(pattern).search(str(value)) is not None


def _fold(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _cidr(value: Any, network: str | None) -> bool:
    # cg_cidr(value, network): Sigma |cidr. Exact for IPv4 and IPv6 whatever the textual
    # form; an IPv4-mapped IPv6 address (::ffff:10.0.0.1) counts as its IPv4 address.
    if not isinstance(value, str) or network is None:
        return False
    address, net = _address(value), _network(network)
    if address is None or net is None:
        return False
    version, bits = address
    net_version, net_bits, mask = net
    return version == net_version and bits & mask == net_bits


# Addresses repeat (a city's hosts are few), and a rule with eight private ranges asks about
# each address eight times: each is parsed once (~10 us), then compared as integers.
@lru_cache(maxsize=65_536)
def _address(text: str) -> tuple[int, int] | None:
    """An address's (version, integer), or None if ``text`` is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.version, int(address)


@lru_cache(maxsize=256)
def _network(text: str) -> tuple[int, int, int] | None:
    """A network's (version, first address, mask) as integers, or None if ``text`` is not
    one."""
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.netmask)


def _number(value: Any) -> int | float | None:
    # cg_number(value): a stored value as a number, or NULL. Windows event data and many
    # JSON logs carry numbers as strings, and SQLite orders every text above every number.
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        for convert in (int, float):
            try:
                return convert(value)
            except ValueError:
                continue
    return None


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    conn.create_function("cg_fold", 1, _fold, deterministic=True)
    conn.create_function("cg_cidr", 2, _cidr, deterministic=True)
    conn.create_function("cg_number", 1, _number, deterministic=True)
