"""Search hits as CSV and NDJSON downloads, streamed page by page.

CSV cells are log content opened in spreadsheets: a cell starting with ``= + - @`` (or a tab
or carriage return, which some spreadsheets skip before reading a formula) is prefixed with
``'`` so it is text, never a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence

from alerting.triage.hunt_service import field_text
from canhgac.models import Event

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_lines(events: Iterable[Event], fields: Sequence[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralised(name) for name in fields])
    yield _drain(buffer)
    for event in events:
        writer.writerow([neutralised(field_text(event, name)) for name in fields])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def ndjson_lines(events: Iterable[Event]) -> Iterator[str]:
    for event in events:
        yield json.dumps({"id": event.id, **event.fields}, ensure_ascii=False) + "\n"
