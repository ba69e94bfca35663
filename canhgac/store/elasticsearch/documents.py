"""How the store's records look as Elasticsearch documents, and back (no client here).

- events: the flat ECS fields plus ``canhgac.event_id`` (sortable id) and ``event.ingested``
  spliced in per write attempt, with the clock skew it makes (``canhgac.health.skew_ms``)
  and the health key's host and sequence number (see :func:`health_fields`), all three kept
  out of ``_source`` by the mapping; ``_id`` is the event id. Also ``canhgac.grams``, the trigrams
  of the gram fields' values, and ``canhgac.grammed: true`` (see
  :mod:`.grams`); the mapping keeps both out of ``_source``, and an event's
  own fields of those names are dropped like its ``canhgac.event_id``.
- dead letters: ``raw`` as base64 (byte for byte), ``context`` as a JSON string that is
  stored, never indexed, so its shape can never clash with a mapping.
- alerts: the Alert model as is, plus a ``canhgac`` object of derived, indexed values the
  queue filters and sorts on (snapshot host/user/IP, severity rank, folded search text).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from canhgac.health.fields import (
    ADDRESS_FIELD,
    HOST_FIELD,
    SEQUENCE_FIELDS,
    sequence_number,
)
from canhgac.models import (
    ALERT_SNAPSHOT_FILTERS,
    DATASET,
    INGESTED,
    ORIGINAL,
    TIMESTAMP,
    Alert,
    DeadLetter,
    Event,
    Severity,
)
from canhgac.store.elasticsearch.alert_ecs import ECS_KEYS, alert_ecs
from canhgac.store.elasticsearch.grams import document_grams, indexed_strings
from canhgac.store.elasticsearch.mappings import (
    DERIVED_FIELDS,
    EVENT_ID_FIELD,
    GRAM_SOURCES,
    GRAMS_FIELD,
    GRAMS_MARKER,
    HEALTH_HOST_FIELD,
    KEYWORD_MAX_CHARS,
    SEQUENCE_FIELD,
    SKEW_FIELD,
    IndexNames,
)
from canhgac.text import dumps, fold
from canhgac.timeutil import from_iso, now_iso

_MAX_ID_BYTES = 512  # Elasticsearch's limit for _id
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})T")
_EVENT_SKIPPED = frozenset({INGESTED, EVENT_ID_FIELD, *DERIVED_FIELDS})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Strict JSON (no NaN, which Elasticsearch refuses), raw UTF-8; one encoder, made once.
_STRICT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# Same ranks as the SQLite store's ORDER BY: informational 0 ... critical 4.
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
DERIVED = "canhgac"


def doc_id(*parts: str) -> str:
    """An ``_id`` for a key: the key itself if it fits and is a single part, else a hash."""
    if len(parts) == 1 and len(parts[0].encode("utf-8", "surrogatepass")) <= _MAX_ID_BYTES:
        return parts[0]
    joined = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return "h-" + hashlib.blake2b(joined, digest_size=16).hexdigest()


def loose_json(value: Any) -> str:
    """JSON for bookkeeping documents: anything unusual becomes its ``str``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def clean(text: str) -> str:
    # Lone surrogates (bytes decoded with surrogateescape upstream) are not valid UTF-8 and
    # would fail the whole bulk request; bookkeeping text may lose them, events may not.
    return text.encode("utf-8", "replace").decode("utf-8")


# --- events -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """One event ready for bulk: its index, its action line, and its source line without the
    leading ``event.ingested``, which :meth:`source` splices in per attempt."""

    event: Event
    index: str
    action: str
    tail: str
    #: @timestamp in epoch milliseconds, for the derived clock skew (None: unreadable)
    timestamp_ms: int | None = None

    def source(self, ingested: str) -> str:
        if self.timestamp_ms is None:
            return f'{{"{INGESTED}":"{ingested}",{self.tail}'
        skew = epoch_ms(ingested) - self.timestamp_ms
        return f'{{"{INGESTED}":"{ingested}","{SKEW_FIELD}":{skew},{self.tail}'


def prepare_event(event: Event, names: IndexNames) -> PreparedEvent | str:
    """The event ready for bulk, or the reason Elasticsearch could not take it."""
    timestamp = event.fields.get(TIMESTAMP)
    day = _DAY.match(timestamp) if isinstance(timestamp, str) else None
    if day is None:
        return f"@timestamp is missing or not an ISO 8601 time: {timestamp!r:.80}"
    doc = {k: v for k, v in event.fields.items() if k not in _EVENT_SKIPPED}
    index = names.events_for_day(day.group(1))
    try:
        body = _STRICT_JSON.encode(doc)
        event_id = _STRICT_JSON.encode(event.id)
        key = _STRICT_JSON.encode(doc_id(event.id))
        action = f'{{"create":{{"_index":"{index}","_id":{key}}}}}'
        # Lone surrogates (from surrogateescape decoding) are not UTF-8: Elasticsearch
        # would fail the whole request, so check here, per event.
        body.encode("utf-8")
        action.encode("utf-8")
    except (TypeError, ValueError) as exc:
        return f"the event cannot be represented as JSON for Elasticsearch: {exc}"
    grams = dumps(list(event_grams(event.fields)))
    derived = f'"{EVENT_ID_FIELD}":{event_id},"{GRAMS_FIELD}":{grams},"{GRAMS_MARKER}":true'
    derived += health_fields(event.fields)
    # body is never "{}": it holds @timestamp at least.
    return PreparedEvent(event, index, action, f"{derived},{body[1:]}", _timestamp_ms(day.string))


@lru_cache(maxsize=64)
def epoch_ms(text: str) -> int:
    """Milliseconds since the epoch of a canonical time string, truncated as Elasticsearch
    truncates a ``date``; cached because one write stamps all its events alike."""
    moment = from_iso(text)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _timestamp_ms(text: str) -> int | None:
    try:
        return epoch_ms(text)
    except ValueError:
        return None


def health_fields(fields: Mapping[str, Any]) -> str:
    """Derived fields data health aggregates on (canhgac.store.elasticsearch.health), as JSON
    members to splice into the document: the source key's host and the first sequence number."""
    host = fields.get(HOST_FIELD) or fields.get(ADDRESS_FIELD) or ""
    text = f',"{HEALTH_HOST_FIELD}":{_STRICT_JSON.encode(str(host))}'
    for name in SEQUENCE_FIELDS:
        if name in fields:
            number = sequence_number(fields[name])
            if number is not None:
                text += f',"{SEQUENCE_FIELD}":{number}'
            break
    return text


def event_grams(fields: Mapping[str, Any]) -> set[str]:
    """The grams of the event's gram-field values Elasticsearch keeps in doc values (a
    string longer than the keyword limit is not kept, so it can match nothing)."""
    return document_grams(
        text
        for name in GRAM_SOURCES
        if name in fields
        for text in indexed_strings(fields[name])
        if len(text) <= KEYWORD_MAX_CHARS
    )


def hit_event(hit: Mapping[str, Any]) -> Event:
    fields: dict[str, Any] = dict(hit["_source"])
    event_id = fields.pop(EVENT_ID_FIELD, hit["_id"])
    # Only in indices created before the mapping left them out of _source.
    for name in DERIVED_FIELDS:
        fields.pop(name, None)
    return Event(str(event_id), fields)


# --- dead letters -----------------------------------------------------------------------------
def dead_letter_doc(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "source": letter.source,
        "reason": letter.reason,
        "raw": base64.b64encode(letter.raw).decode("ascii"),
        "received_at": letter.received_at,
        "peer": letter.context.get("peer") if isinstance(letter.context.get("peer"), str) else None,
        "context": loose_json(letter.context),
    }


def dead_letter_from_doc(doc: Mapping[str, Any]) -> DeadLetter:
    return DeadLetter(
        id=doc["id"],
        source=doc["source"],
        reason=doc["reason"],
        raw=base64.b64decode(doc["raw"]),
        received_at=doc["received_at"],
        context=json.loads(doc["context"]),
    )


def event_dead_letter(event: Event, index: str, reason: str) -> DeadLetter:
    """A rejected event kept whole: the raw line as ``raw``, every field in the context, so
    it can be fixed and replayed."""
    original = event.fields.get(ORIGINAL)
    raw_text = original if isinstance(original, str) else loose_json(event.fields)
    return DeadLetter(
        id=event.id,
        source=str(event.fields.get(DATASET) or "store"),
        reason=f"Elasticsearch rejected the event: {reason}",
        raw=_raw_bytes(raw_text),
        received_at=now_iso(),
        context={"stage": "store", "index": index, "event_id": event.id, "fields": event.fields},
    )


def _raw_bytes(text: str) -> bytes:
    # Undo surrogateescape decoding where that is what produced the surrogates; keep any
    # other lone surrogate as its (invalid, but faithful) UTF-8 form.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# --- alerts -----------------------------------------------------------------------------------
def alert_doc(alert: Alert) -> dict[str, Any]:
    doc = alert.model_dump(mode="json")
    derived: dict[str, Any] = {
        "severity_rank": SEVERITY_RANK[alert.severity],
        # What free text searches, as the SQLite store: title, rule id, snapshot as JSON.
        "text": fold(f"{alert.rule_title}\x1f{alert.rule_id}\x1f{loose_json(alert.snapshot)}"),
    }
    for attribute, field in ALERT_SNAPSHOT_FILTERS.items():
        value = alert.snapshot.get(field)
        if isinstance(value, str):
            derived[attribute] = value
    doc[DERIVED] = derived
    doc.update(alert_ecs(alert))
    return doc


def alert_from_doc(doc: Mapping[str, Any]) -> Alert:
    return Alert.model_validate(
        {k: v for k, v in doc.items() if k != DERIVED and k not in ECS_KEYS}
    )
