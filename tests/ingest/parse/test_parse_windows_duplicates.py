"""NXLog's duplicated keys: the quick "quotes add up" test never hides a duplicate, and a
record it lets through parses as the exact (pairs-keeping) decoding would."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ingest.parse import windows, windows_nxlog
from ingest.parse.base import Origin

ORIGIN = Origin(source="t", identity="t:1", received_at="2026-12-03T01:00:00.000000Z")
SYSTEM = (
    '"EventTime":"2026-12-03 08:00:00","Hostname":"DC01","EventID":1116,'
    '"SourceName":"Microsoft-Windows-Windows Defender",'
    '"Channel":"Microsoft-Windows-Windows Defender/Operational"'
)


@pytest.mark.parametrize(
    "event_data",
    [
        '"SourceName":"Real-Time Protection"',  # a string value
        '"SourceName":7',  # a number
        '"SourceName":"Real-Time Protection","Path":"C:\\\\a \\"b\\".exe"',  # escaped quotes
        '"SourceName":"Real-Time Protection","Nested":{"k":"v"}',  # a nested object
        '"Hostname" : "laptop-07"',  # blanks around the colon
    ],
)
def test_a_duplicated_system_name_is_always_found(event_data: str) -> None:
    text = "{" + SYSTEM + "," + event_data + "}"
    assert windows_nxlog._duplicated(json.loads(text), text)


@pytest.mark.parametrize(
    "event_data",
    [
        '"Threat Name":"Trojan:Win32/Wacatac.B!ml"',
        '"Detail":"Hostname"',  # a value that is a System name: quoted twice, not a key twice
        '"Path":"C:\\\\a \\"b\\".exe"',
    ],
)
def test_without_a_duplicate_the_fields_are_those_of_the_exact_decoding(
    event_data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "{" + SYSTEM + "," + event_data + "}"
    fields = windows.parse_windows(text, ORIGIN)
    monkeypatch.setattr(windows_nxlog, "_duplicated", lambda record, text: text is not None)
    exact: dict[str, Any] = windows.parse_windows(text, ORIGIN)
    assert list(fields.items()) == list(exact.items())
