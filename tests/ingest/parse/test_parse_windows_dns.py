"""The Windows DNS Server debug log (dns.log). The first lines are Microsoft's documented
examples and lines from public DNS-policy and parsing write-ups, as the server wrote them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

EventFields = Callable[..., dict[str, Any]]

# A client's query received (English locale, 12-hour clock).
QUERY = (
    "6/5/2013 10:00:32 AM 0E70 PACKET  00000000033397A0 UDP Rcv 10.161.60.71    5b47   Q "
    "[0001   D   NOERROR] A      (12)somecomputer(6)domain(3)com(0)"
)
# The response sent back to a client.
RESPONSE = (
    "4/21/2017 7:52:03 AM 06B0 PACKET  00000000028657F0 UDP Snd 10.2.0.1        6590 R Q "
    "[8081   DR  NOERROR] A      (7)example(3)com(0)"
)
# An upstream answer received, older servers writing the name with dots.
UPSTREAM = (
    "4/15/2014 3:16:00 PM 0710 PACKET  0000000028FB94C0 UDP  Rcv 69.160.33.71    8857 R Q "
    "[0080       NOERROR] A      .ns1.offeringsmislead.com."
)
# A 24-hour locale: day first.
DAY_FIRST = (
    "05/03/2019 16:05:31 0F9C PACKET  000000082A8141F0 UDP Snd 10.202.168.232  c1f8 R Q "
    "[8081   DR  NOERROR] A      (3)api(11)blahblah(3)com(0)"
)
YEAR_FIRST = (
    "2024/12/2 15:51:54 166C PACKET  000001AB5710F890 UDP Rcv 10.191.24.4     c6b8   Q "
    "[0001   D   NOERROR] A      (14)esfregbiza2-sh(3)rel(4)spdb(3)com(0)"
)


def test_a_client_query(event_fields: EventFields) -> None:
    fields = event_fields(QUERY, "windows_dns")
    assert fields["event.dataset"] == "windows_dns.debug"
    assert fields["event.kind"] == "event"
    assert fields["event.category"] == ["network"]
    assert fields["event.type"] == ["protocol"]
    assert fields["event.action"] == "dns-query"
    # 10:00:32 in Hanoi (the source's default zone) is 03:00:32 UTC
    assert fields["@timestamp"] == "2013-06-05T03:00:32.000000Z"
    assert fields["source.ip"] == "10.161.60.71"
    assert fields["dns.question.name"] == "somecomputer.domain.com"
    assert fields["dns.question.type"] == "A"
    assert fields["dns.type"] == "query"
    assert fields["dns.id"] == "5b47"
    assert fields["dns.op_code"] == "QUERY"
    assert fields["dns.header_flags"] == ["RD"]
    assert "dns.response_code" not in fields
    assert fields["network.transport"] == "udp"
    assert fields["network.protocol"] == "dns"
    assert fields["hanoi.windows_dns.client_side"] is True


def test_a_response_to_a_client(event_fields: EventFields) -> None:
    fields = event_fields(RESPONSE, "windows_dns")
    assert fields["dns.type"] == "answer"
    assert fields["dns.response_code"] == "NOERROR"
    assert fields["dns.header_flags"] == ["RD", "RA"]
    assert fields["destination.ip"] == "10.2.0.1"
    assert fields["event.action"] == "dns-answer"
    assert fields["@timestamp"] == "2017-04-21T00:52:03.000000Z"


def test_an_upstream_answer(event_fields: EventFields) -> None:
    fields = event_fields(UPSTREAM, "windows_dns")
    assert fields["dns.question.name"] == "ns1.offeringsmislead.com"
    assert fields["event.action"] == "dns-answer-upstream"
    assert fields["hanoi.windows_dns.client_side"] is False
    assert fields["@timestamp"] == "2014-04-15T08:16:00.000000Z"  # 3:16 PM


@pytest.mark.parametrize(
    ("line", "timestamp"),
    [(DAY_FIRST, "2019-03-05T09:05:31.000000Z"), (YEAR_FIRST, "2024-12-02T08:51:54.000000Z")],
)
def test_date_orders(event_fields: EventFields, line: str, timestamp: str) -> None:
    assert event_fields(line, "windows_dns")["@timestamp"] == timestamp


def test_a_failed_answer_is_a_failure(event_fields: EventFields) -> None:
    line = RESPONSE.replace("NOERROR]", "NXDOMAIN]")
    fields = event_fields(line, "windows_dns")
    assert fields["dns.response_code"] == "NXDOMAIN"
    assert fields["event.outcome"] == "failure"


def test_inside_syslog_from_nxlog(event_fields: EventFields) -> None:
    fields = event_fields("<14>Dec  3 10:00:32 dc01 dns.log: " + QUERY, "windows_dns")
    assert fields["host.name"] == "dc01"
    assert fields["dns.question.name"] == "somecomputer.domain.com"


@pytest.mark.parametrize(
    "line",
    [
        "DNS Server log file creation at 12/3/2026 9:00:01 AM",
        "Message logging key (for packets - other items use a subset of these fields):",
        "",
        "12/3/2026 9:00:01 AM 0E70 EVENT   The DNS server has started.",
    ],
)
def test_header_and_other_lines_are_kept_as_plain_events(
    event_fields: EventFields, line: str
) -> None:
    fields = event_fields(line, "windows_dns")
    assert fields["event.dataset"] == "windows_dns.debug"
    assert fields["event.type"] == ["info"]
    assert "dns.question.name" not in fields


def test_an_impossible_date_falls_back_to_receive_time(event_fields: EventFields) -> None:
    line = QUERY.replace("6/5/2013", "13/45/2013")
    fields = event_fields(line, "windows_dns")
    assert fields["dns.question.name"] == "somecomputer.domain.com"
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"
