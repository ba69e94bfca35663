"""Generic JSON application logs: one object per line, flattened to dotted keys.

Keys of an ECS field set keep their names; the application's own keys go under
``hanoi.<dataset>.`` (:func:`namespaced`), e.g. ``so_tien`` of dataset ``app`` becomes
``hanoi.app.so_tien``. The namespaces of Elastic's integrations (``winlog.*`` of a
winlogbeat document posted as JSON) are kept too.

A "JSON bomb" is rejected cheaply: records over 1 MiB of UTF-8 before decoding, more than
32 levels of nesting (the decoder's own recursion guard catches the absurd cases even
earlier) and more than 2,000 flattened keys. Arrays are kept as JSON text (fields are
scalars), except ``tags``.

Records are decoded with orjson (three to four times faster than ``json``), which gives the
same values as ``json.loads`` with one exception: an integer beyond 64 bits becomes a float.
Such a float is noticed while flattening (:class:`Inexact`), and the record is decoded again
with ``json`` (:func:`exactly`); text orjson rejects (NaN, lone surrogates...) goes straight
to ``json``, whose result or error is the one a record always got.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from canhgac.errors import ParseError
from canhgac.text import nfc
from ingest.parse.base import Fields, Origin
from ingest.parse.timestamps import any_time, zone_of

MAX_BYTES = 1_048_576
MAX_DEPTH = 32
MAX_KEYS = 2_000
DEFAULT_DATASET = "app"
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts")
_LONG = 2**63 - 1
# orjson decodes integers outside [-2**63, 2**64) as floats, all at least this large.
_INEXACT = 2.0**63
# A dataset the record names for itself may end up in index names and dashboards: only a
# plain dotted name is taken from attacker-controlled input.
_DATASET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_ARRAY_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Fields outside ECS go under this one documented namespace (hanoi.<dataset>.<field>).
CUSTOM_NAMESPACE = "hanoi"
# The top-level names of ECS 9.4 (field sets, and the top-level fields @timestamp, message,
# tags, labels): a JSON key under one of them is taken as the ECS field it names.
ECS_ROOTS = frozenset(
    """@timestamp agent client cloud container data_stream destination device dll dns ecs
    email entity error event faas file gen_ai group host http labels log message network
    observer orchestrator organization package process registry related rule server service
    source span tags threat tls trace transaction url user user_agent volume
    vulnerability""".split()
)
# The namespaces of Elastic's integrations: a Beats document posted as JSON (winlogbeat's
# winlog.*, auditbeat's auditd.*) keeps them, as the format parsers write them.
INTEGRATION_ROOTS = frozenset(("winlog", "auditd", "fortinet", "cef", "system", "nginx", "apache"))
_KEPT_ROOTS = ECS_ROOTS | INTEGRATION_ROOTS | {CUSTOM_NAMESPACE}


class Inexact(Exception):
    """A record decoded by orjson holds an integer orjson turned into a float."""


T = TypeVar("T")


def exactly(build: Callable[[bool], T]) -> T:
    """``build(exact)`` from a record decoded fast (``exact=False``), or, when that record
    turned out to hold an integer beyond 64 bits, from the one ``json`` decodes."""
    try:
        return build(False)
    except Inexact:
        return build(True)


def load_object(text: str, exact: bool = True) -> dict[str, Any]:
    """Decode one JSON object within the size limit, or raise ParseError.

    ``exact=False`` decodes with orjson: flatten the result with ``exact=False`` too, under
    :func:`exactly`.
    """
    value = _load(text, exact)
    if not isinstance(value, dict):
        raise ParseError(f"JSON record is not an object but {type(value).__name__}")
    return value


def try_load_object(text: str, exact: bool = True) -> dict[str, Any] | None:
    """Like :func:`load_object`, but None for text that is not a JSON object at all.

    Records that *are* JSON but break a limit still raise: they are hostile, not plain text.
    """
    try:
        value = _load(text, exact)
    except _NotJson:
        return None
    return value if isinstance(value, dict) else None


class _NotJson(ParseError):
    pass


def _too_big(text: str) -> bool:
    """Over 1 MiB of UTF-8? Counting characters is free; encoding is only needed when a
    record is long enough that multi-byte characters could push it over."""
    size = len(text)
    return size > MAX_BYTES or (size > MAX_BYTES // 4 and len(text.encode()) > MAX_BYTES)


def _load(text: str, exact: bool) -> Any:
    if _too_big(text):
        raise ParseError("JSON record is larger than 1 MiB")
    if not exact:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # json.loads decides: its result, or its error message
    try:
        return json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, and the int-digits limit
        raise _NotJson(f"invalid JSON: {str(exc)[:120]}") from None


def _too_deep() -> ParseError:
    return ParseError(f"JSON nesting is deeper than {MAX_DEPTH} levels")


def _check_array(items: list[Any], depth: int, exact: bool) -> None:
    if depth > MAX_DEPTH:
        raise _too_deep()
    for item in items:
        if isinstance(item, list):
            _check_array(item, depth + 1, exact)
        elif isinstance(item, dict):
            if depth + 1 > MAX_DEPTH:
                raise _too_deep()
            _check_array(list(item.values()), depth + 1, exact)
        elif not exact and type(item) is float and not abs(item) < _INEXACT:
            raise Inexact


def _other(value: Any, exact: bool) -> Any:
    """A scalar that is not a str: keep it unless a store could not take it."""
    if type(value) is int:
        return value if -_LONG <= value <= _LONG else str(value)
    if type(value) is float:
        if not exact and not abs(value) < _INEXACT:
            raise Inexact
        if not math.isfinite(value):
            return str(value)
    return value


def _flatten(
    record: dict[str, Any], prefix: str, depth: int, out: Fields, escaped: bool, exact: bool
) -> None:
    """``escaped``: the text had ``\\u`` escapes, so decoded strings may not be NFC;
    ``exact``: the record was decoded by ``json``, not orjson (see :func:`exactly`)."""
    if depth > MAX_DEPTH:
        raise _too_deep()
    if len(out) + len(record) > MAX_KEYS:
        raise ParseError(f"JSON record has more than {MAX_KEYS} keys")
    for key, value in record.items():
        key = key.strip(".")  # the same object when there is nothing to strip
        if not key:
            continue  # an empty field name makes stores reject the whole document
        name = prefix + nfc(key) if escaped else prefix + key
        kind = type(value)
        if kind is str:
            out[name] = nfc(value) if escaped else value
        elif kind is dict:
            _flatten(value, name + ".", depth + 1, out, escaped, exact)
        elif kind is list:
            _check_array(value, depth + 1, exact)
            if name == "tags" and all(type(item) is str for item in value):
                out[name] = [nfc(item) for item in value]
            else:
                out[name] = _ARRAY_TEXT.encode(value)
        elif value is not None:
            out[name] = _other(value, exact)


def flatten(
    record: dict[str, Any],
    prefix: str = "",
    escaped: bool = True,
    into: Fields | None = None,
    exact: bool = True,
) -> Fields:
    """Nested objects to dotted keys, within the depth and key-count limits.

    Pass ``escaped=False`` when the JSON text had no ``\\u`` escape: its strings are then
    already NFC (the whole record was normalised) and need no per-value check. ``into``
    collects several parts of one record, so the key limit counts them together.
    """
    out: Fields = {} if into is None else into
    _flatten(record, prefix, 1, out, escaped, exact)
    return out


def apply_timestamp(fields: Fields, record: dict[str, Any], origin: Origin) -> None:
    """Normalise the first of ``@timestamp|timestamp|time|ts`` into ``@timestamp``."""
    for key in TIME_KEYS:
        if key in record:
            when = any_time(record[key], zone_of(origin))
            if when is None:
                fields.pop("@timestamp", None)
                fields["event.timestamp_fallback"] = True
            else:
                fields["@timestamp"] = when
            return


def namespaced(fields: Fields, dataset: str) -> Fields:
    """The application's own fields (``ma_so_thue``, ``giao_dich.ma``) moved under
    ``hanoi.<dataset>.``; fields of an ECS field set stay where they are. One namespace per
    dataset keeps two applications that use one name for different types from clashing in
    a day's index (a conflict would turn every later event of the other into a dead letter).
    """
    prefix = f"{CUSTOM_NAMESPACE}.{dataset}."
    out: Fields = {}
    for name, value in fields.items():
        root = name.partition(".")[0]
        if root in _KEPT_ROOTS:
            out[name] = value
        else:
            out[prefix + name] = value
    return out


def fields_from_object(
    record: dict[str, Any], origin: Origin, escaped: bool = True, exact: bool = True
) -> Fields:
    flat = flatten(record, escaped=escaped, exact=exact)
    dataset = flat.get("event.dataset")
    if not isinstance(dataset, str) or not _DATASET_NAME.fullmatch(dataset):
        dataset = origin.dataset or DEFAULT_DATASET
        flat["event.dataset"] = dataset
    fields = namespaced(flat, dataset)
    module = fields.get("event.module")
    if not isinstance(module, str) or not _DATASET_NAME.fullmatch(module):
        fields["event.module"] = dataset.partition(".")[0]
    apply_timestamp(fields, record, origin)
    if "message" not in fields and isinstance(flat.get("msg"), str):
        fields["message"] = flat["msg"]
    return fields


def parse_json(text: str, origin: Origin) -> Fields:
    escaped = "\\u" in text
    return exactly(
        lambda exact: fields_from_object(load_object(text, exact), origin, escaped, exact)
    )
