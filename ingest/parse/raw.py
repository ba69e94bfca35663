"""The ``raw`` parser: no structure, the line is the message."""

from __future__ import annotations

from ingest.parse.base import Fields, Origin

DATASET = "raw"


def parse_raw(text: str, origin: Origin) -> Fields:
    return {"message": text, "event.dataset": origin.dataset or DATASET, "event.module": "raw"}
