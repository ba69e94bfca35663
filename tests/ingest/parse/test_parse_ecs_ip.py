"""``is_ip`` reads IPv6 with the C parser first: its answers are always those of ipaddress."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.parse.ecs import is_ip

CANDIDATES = [
    "::1",
    "::",
    "2001:db8::1",
    "2001:DB8:0:0:8:800:200C:417A",
    "fe80::1%eth0",  # a zone id: only ipaddress reads it
    "fe80::1%",
    "::ffff:10.0.0.1",
    "1:2:3:4:5:6:1.2.3.4",
    "::1.2.3.04",  # a leading zero in the IPv4 part
    "::1.2.3",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "1::2:3:4:5:6:7:8",  # "::" standing for nothing
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "::g",
    ":::",
    "1::2::3",
    " ::1",
    "::1\x00",
    "::١",  # an Arabic-Indic digit
    "é::1",
]


def _ipaddress_reads(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", CANDIDATES)
def test_ipv6_answers_are_those_of_ipaddress(text: str) -> None:
    assert is_ip(text) is _ipaddress_reads(text)
