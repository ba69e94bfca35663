"""``is_ip`` reads dotted quads and IPv6 with the C parser first: its answers are always those
of the IPv4 pattern and of ipaddress."""

from __future__ import annotations

import ipaddress
import random

import pytest

from ingest.parse.ecs import _IPV4, is_ip

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


DOTTED = [
    "10.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "256.0.0.1",
    "01.2.3.4",  # leading zeros: the C parser refuses them, the pattern reads them
    "001.002.003.004",
    "1.2.3.04",
    "00.0.0.0",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    ".1.2.3",
    "1.2.3.4.",
    "1.2.3.4 ",
    "١.2.3.4",  # an Arabic-Indic digit
    "",
    "....",
]


def _random_dotted(rng: random.Random) -> str:
    """Mostly four parts up to 299, a few with leading zeros, empty, or one too many/few."""
    forms = ("{}",) * 12 + ("0{}", "{:03d}", "")
    parts = rng.choice((3,) + (4,) * 8 + (5,))
    return ".".join(rng.choice(forms).format(rng.randrange(300)) for _ in range(parts))


@pytest.mark.parametrize("text", DOTTED)
def test_dotted_quad_answers_are_those_of_the_ipv4_pattern(text: str) -> None:
    assert is_ip(text) is (_IPV4.fullmatch(text) is not None)


def test_random_dotted_quads_are_read_as_the_ipv4_pattern_reads_them() -> None:
    texts = [_random_dotted(random.Random(seed)) for seed in range(5000)]
    read = [text for text in texts if _IPV4.fullmatch(text)]
    assert 1000 < len(read) < 4000  # both kinds are tried
    assert [text for text in texts if is_ip(text)] == read
