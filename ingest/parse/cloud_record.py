"""What the public cloud audit parsers share (CloudTrail, Azure, GCP, Microsoft 365).

Each service exports JSON records whose own field names are what SigmaHQ's cloud rules
compare (``eventName``, ``userIdentity.type``, ``properties.message``, ...). A parser keeps
the whole record under its Elastic integration's namespace (``aws.cloudtrail.``,
``azure.signinlogs.``, ...) with :func:`keep_record`, and adds the ECS fields it knows.

Kept values are keywords only: every scalar as text (``true``, ``42``), because one API
call's ``requestParameters.limit`` is a number and another's the text ``"all"``, and one
mapped type per name would turn the second into a dead letter. An array of objects is
flattened like Elasticsearch flattens objects in arrays (``targetResources.type`` holds the
type of every target, a list; one value alone is stored as that value), so a rule on an inner
field finds any element's value (on Elasticsearch; SQLite compares a list as its JSON text); the
record's top two levels of objects and arrays are also kept whole as compact JSON text, for
the rules that search a whole part (``requestParameters|contains``, ``NetworkLocationDetails``).

Size limits are the JSON parser's (:mod:`ingest.parse.jsonlog`): 1 MiB, 32 levels, 2,000
fields; an array keeps its first :data:`MAX_ITEMS` values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from canhgac.errors import ParseError
from canhgac.text import nfc
from ingest.parse.base import Fields
from ingest.parse.jsonlog import MAX_DEPTH, MAX_KEYS, load_object
from ingest.parse.timestamps import any_time

MAX_ITEMS = 256
# Objects and arrays this deep (1: a top-level key) are also kept whole, as JSON text.
WHOLE_DEPTH = 2
_MAX_TEXT = 32_768
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def load_records(text: str, envelope: str) -> dict[str, Any]:
    """The one record of a line: a bare record, or an export envelope (CloudTrail's S3 file
    ``{"Records": [...]}``, Azure's ``{"records": [...]}``) holding exactly one. The file
    and HTTP sources split an envelope of several records before parsing
    (:func:`split_envelope`, :func:`envelope_items`), so each record gets its own event id;
    one reaching a parser another way is refused."""
    record = load_object(text)
    inner = record.get(envelope)
    if len(record) == 1 and isinstance(inner, list):
        if len(inner) != 1 or not isinstance(inner[0], dict):
            raise ParseError(
                f'an export envelope {{"{envelope}": [...]}} of {len(inner)} records: read it'
                f" with a file or HTTP source (they split it) or write one record per line"
            )
        return inner[0]
    return record


# Parser name -> the key of its export envelope.
ENVELOPES = {"cloudtrail": "Records", "azure": "records"}


def envelope_items(parser: str, value: dict[str, Any]) -> list[Any] | None:
    """The records of an export envelope posted whole to the HTTP source, for a parser that
    has one; None when ``value`` is not such an envelope (it is then one record)."""
    key = ENVELOPES.get(parser)
    items = value.get(key) if key is not None and len(value) == 1 else None
    return items if isinstance(items, list) else None


def split_envelope(parser: str, raw: bytes) -> list[bytes] | None:
    """The records of an export envelope written on one line (a CloudTrail S3 file as
    downloaded), each as its own JSON text; None when ``raw`` is not one (then it is one
    record). Only for a parser that has an envelope, and only lines that name its key."""
    key = ENVELOPES.get(parser)
    if key is None or f'"{key}"'.encode() not in raw[:64]:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # the parser says why, as a dead letter
    items = envelope_items(parser, value) if isinstance(value, dict) else None
    if not items:
        return None
    return [_COMPACT.encode(item).encode("utf-8") for item in items]


def text_of(value: Any, limit: int = 1024) -> str | None:
    """A scalar as the text a rule compares; None for null, objects and arrays."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def child(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None where a step is not an object."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def child_text(value: Any, *path: str) -> str | None:
    return text_of(child(value, *path))


class _Keeper:
    """Flattens one record into ``out`` under ``prefix`` (see module doc)."""

    def __init__(self, out: Fields, prefix: str, escaped: bool) -> None:
        self.out = out
        self.prefix = prefix
        self.clean: Callable[[str], str] = nfc if escaped else _same
        self.listed: set[str] = set()

    def put(self, name: str, value: str, listed: bool) -> None:
        if name not in self.out and len(self.out) >= MAX_KEYS:
            raise ParseError(f"JSON record has more than {MAX_KEYS} keys")
        if not listed:
            self.out[name] = value
            return
        self.listed.add(name)
        held = self.out.get(name)
        if isinstance(held, list):
            if len(held) < MAX_ITEMS:
                held.append(value)
        else:
            self.out[name] = [value] if held is None else [held, value]

    def walk(self, value: Any, name: str, depth: int, listed: bool) -> None:
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON nesting is deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            self.whole(value, name, depth, listed)
            for key, item in value.items():
                key = key.strip(".")
                if key:
                    self.walk(item, f"{name}.{self.clean(key)}" if name else self.clean(key),
                              depth + 1, listed)  # fmt: skip
        elif isinstance(value, list):
            self.whole(value, name, depth, listed)
            for item in value[:MAX_ITEMS]:
                self.walk(item, name, depth + 1, True)
        else:
            text = text_of(value, _MAX_TEXT)
            if text is not None and name:
                self.put(self.prefix + name, self.clean(text), listed)

    def whole(self, value: dict[str, Any] | list[Any], name: str, depth: int, listed: bool) -> None:
        if name and not listed and depth - 1 <= WHOLE_DEPTH and value:
            self.put(self.prefix + name, self.clean(_COMPACT.encode(value)[:_MAX_TEXT]), False)


def _same(text: str) -> str:
    return text


def keep_record(
    fields: Fields, record: dict[str, Any], prefix: str, *, escaped: bool = True
) -> None:
    """Every field of ``record`` as ``<prefix><name>`` (keywords, see module doc).

    ``escaped=False`` when the JSON text had no ``\\u`` escape (its strings are already NFC).
    """
    keeper = _Keeper(fields, prefix, escaped)
    keeper.walk(record, "", 1, False)
    # One value from an array is stored as that value: the SQLite store compares a field's
    # value, not the members of a list (Elasticsearch matches either).
    for name in keeper.listed:
        value = fields[name]
        if isinstance(value, list) and len(value) == 1:
            fields[name] = value[0]


def put_new(fields: Fields, name: str, value: str | list[str]) -> None:
    """Add a field the record did not already give (within the record's field limit)."""
    if name in fields:
        return
    if len(fields) >= MAX_KEYS:
        raise ParseError(f"JSON record has more than {MAX_KEYS} keys")
    fields[name] = value


def name_values(items: Any, name_key: str = "Name", value_key: str = "Value") -> dict[str, str]:
    """``[{"Name": "RequestType", "Value": "Login:login"}, ...]`` (Microsoft 365's extended
    properties, Google Workspace's event parameters) as ``{"RequestType": "Login:login"}``."""
    found: dict[str, str] = {}
    if not isinstance(items, list):
        return found
    for item in items[:MAX_ITEMS]:
        name = child_text(item, name_key)
        value = child(item, value_key)
        text = text_of(value) if not isinstance(value, list | dict) else _COMPACT.encode(value)
        if name and text is not None and name.strip(".") == name:
            found[name] = text[:_MAX_TEXT]
    return found


def stamp_record(fields: Fields, record: dict[str, Any], key: str, zone: str) -> None:
    """``@timestamp`` from the record's own time field (``zone`` for a time without one), or
    the fallback flag when it is missing or unreadable."""
    when = any_time(record.get(key), zone) if key in record else None
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
