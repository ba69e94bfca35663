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
from functools import lru_cache
from typing import Any, TypeGuard, TypeVar

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
LONG = 2**63 - 1
MIN_LONG = -LONG  # named once: ``-LONG`` in a comparison builds the int anew each time
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


def has_escapes(text: str) -> bool:
    """Whether JSON text has a ``\\u`` escape (then its strings may not be NFC). The
    backslash is looked for first: one character is found at memory speed, while a
    two-character search is several times slower on non-ASCII text."""
    return "\\" in text and "\\u" in text


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
    """A scalar that is neither a str nor an int: keep it unless a store could not take it."""
    if type(value) is float:
        if not exact and not abs(value) < _INEXACT:
            raise Inexact
        if not math.isfinite(value):
            return str(value)
    return value


# Field names by prefix and JSON key, remembered: a source writes the same few dozen keys in
# every record, and one dictionary lookup costs less than stripping, normalising and joining
# each key again. Keys are attacker-controlled, so the memo is bounded (prefixes, names per
# prefix, key length); past a bound a name is built as before and not remembered, so hostile
# keys can only make later records as slow as building every name.
_MEMO_PREFIXES = 64
_MEMO_NAMES = 256
_MEMO_KEY_CHARS = 64
Memo = dict[str, dict[str, str]]
_NAMES: tuple[Memo, Memo] = ({}, {})  # by escaped: prefix -> key -> name
# Top-level names moved into a custom namespace (see _flatten's ``custom``), kept apart: the
# prefix ``hanoi.app.`` of a nested key does not name its keys as the namespace does.
_NAMESPACED: tuple[Memo, Memo] = ({}, {})  # by escaped: namespace -> key -> name
# The prefix and names of the object under each field name, so that entering a nested object
# (``user`` in ``{"user": {"name": ...}}``) costs one look-up of a name already hashed, not a
# new prefix string to build and hash. Bounded as the prefixes are.
Child = tuple[str, dict[str, str]]
_CHILDREN: tuple[dict[str, Child], dict[str, Child]] = ({}, {})  # by escaped: name -> child


class _InCustomNamespace(Exception):
    """A top-level key is under the custom namespace itself: names may collide."""


def _names_under(memo: Memo, prefix: str) -> dict[str, str]:
    names = memo.get(prefix)
    if names is None:
        names = {}
        if len(memo) < _MEMO_PREFIXES:
            memo[prefix] = names
    return names


def _child(name: str, escaped: bool) -> Child:
    """The prefix and names of the object that is the value of the field ``name``."""
    prefix = name + "."
    child = (prefix, _names_under(_NAMES[escaped], prefix))
    children = _CHILDREN[escaped]
    if len(children) < _MEMO_PREFIXES:
        children[name] = child
    return child


def field_name(prefix: str, key: str, escaped: bool) -> str:
    """The field name of the JSON ``key`` under ``prefix``, or "" for a key of dots only,
    which is left out (an empty field name makes stores reject the whole document)."""
    stripped = key.strip(".")
    return prefix + (nfc(stripped) if escaped else stripped) if stripped else ""


def _name(names: dict[str, str], prefix: str, key: str, escaped: bool, custom: str) -> str:
    """:func:`field_name`, moved into the ``custom`` namespace if given, and remembered."""
    name = field_name(prefix, key, escaped)
    if custom and name:
        root = name.partition(".")[0]
        if root == CUSTOM_NAMESPACE:
            raise _InCustomNamespace  # never remembered: every record with it is told so
        if root not in _KEPT_ROOTS:
            name = custom + name
    if len(names) < _MEMO_NAMES and len(key) <= _MEMO_KEY_CHARS:
        names[key] = name
    return name


def check_key_count(out: Fields, more: int) -> None:
    """Raise ParseError if ``more`` keys would take the flattened record over the limit."""
    if len(out) + more > MAX_KEYS:
        raise _too_many_keys()


def _too_many_keys() -> ParseError:
    return ParseError(f"JSON record has more than {MAX_KEYS} keys")


def put_value(out: Fields, name: str, value: Any, depth: int, escaped: bool, exact: bool) -> None:
    """What flattening writes for one ``value`` of an object at ``depth``: the field ``name``
    (nothing for null), or an object's fields under ``name.``."""
    kind = type(value)
    if kind is str:
        out[name] = nfc(value) if escaped else value
    elif kind is int:
        out[name] = value if MIN_LONG <= value <= LONG else str(value)
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


def _flatten(
    record: dict[str, Any],
    prefix: str,
    depth: int,
    out: Fields,
    escaped: bool,
    exact: bool,
    custom: str = "",
    names: dict[str, str] | None = None,
) -> None:
    """``escaped``: the text had ``\\u`` escapes, so decoded strings may not be NFC;
    ``exact``: the record was decoded by ``json``, not orjson (see :func:`exactly`);
    ``custom``: for the top level only, the namespace (``hanoi.app.``) that the keys of no
    ECS field set go under, as :func:`namespaced` would move them (raises
    _InCustomNamespace for a key under ``hanoi`` itself, where the two could differ);
    ``names``: the remembered names under ``prefix``, when the caller has them."""
    if depth > MAX_DEPTH:
        raise _too_deep()
    if len(out) + len(record) > MAX_KEYS:  # check_key_count, inline: once per object
        raise _too_many_keys()
    if names is None:
        memo = (_NAMESPACED if custom else _NAMES)[escaped]
        names = memo.get(custom or prefix) or _names_under(memo, custom or prefix)
    for key, value in record.items():
        name = names.get(key)
        if name is None:
            name = _name(names, prefix, key, escaped, custom)
        if not name:
            continue
        # put_value's usual cases, inline: this loop runs for every key of a record.
        kind = type(value)
        if kind is str:
            out[name] = nfc(value) if escaped else value
        elif kind is int and MIN_LONG <= value <= LONG:
            out[name] = value
        elif kind is dict:
            child = _CHILDREN[escaped].get(name) or _child(name, escaped)
            _flatten(value, child[0], depth + 1, out, escaped, exact, "", child[1])
        else:
            put_value(out, name, value, depth, escaped, exact)


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


def _names_dataset(record: dict[str, Any]) -> bool:
    """Whether the record plainly names its own dataset (``event.dataset``)."""
    event = record.get("event")
    return "event.dataset" in record or (type(event) is dict and "dataset" in event)


def _valid_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _DATASET_NAME.fullmatch(value) is not None


@lru_cache(maxsize=64)  # a source has one dataset: its names are built (and hashed) once
def _namespace(dataset: str) -> tuple[str, str]:
    """The custom namespace of ``dataset`` (``hanoi.app.``), and its ``msg`` field."""
    custom = f"{CUSTOM_NAMESPACE}.{dataset}."
    return custom, custom + "msg"


def _in_source_namespace(
    record: dict[str, Any], dataset: str, escaped: bool, exact: bool
) -> tuple[Fields, Any] | None:
    """(fields, the record's ``msg``) of a record in the source's dataset, flattened and
    namespaced in one pass; None when the record names another dataset (or has a top-level
    ``hanoi`` key), which :func:`_in_own_namespace` then reads. One pass writes what the two
    would: every name moves as a whole or not at all, by its top-level key, and without a
    ``hanoi`` key no two names meet in the namespace."""
    if _names_dataset(record):
        return None
    custom, msg = _namespace(dataset)
    fields: Fields = {}
    try:
        _flatten(record, "", 1, fields, escaped, exact, custom)
    except _InCustomNamespace:
        return None
    own = fields.get("event.dataset")
    if _valid_name(own):
        if own != dataset:
            return None
    else:
        fields["event.dataset"] = dataset
    return fields, fields.get(msg)


def _in_own_namespace(
    record: dict[str, Any], origin: Origin, escaped: bool, exact: bool
) -> tuple[Fields, Any]:
    flat = flatten(record, escaped=escaped, exact=exact)
    dataset = flat.get("event.dataset")
    if not _valid_name(dataset):
        dataset = origin.dataset or DEFAULT_DATASET
        flat["event.dataset"] = dataset
    return namespaced(flat, dataset), flat.get("msg")


def fields_from_object(
    record: dict[str, Any], origin: Origin, escaped: bool = True, exact: bool = True
) -> Fields:
    found = _in_source_namespace(record, origin.dataset or DEFAULT_DATASET, escaped, exact)
    fields, msg = found or _in_own_namespace(record, origin, escaped, exact)
    dataset: str = fields["event.dataset"]
    if not _valid_name(fields.get("event.module")):
        fields["event.module"] = dataset.partition(".")[0]
    apply_timestamp(fields, record, origin)
    if "message" not in fields and isinstance(msg, str):
        fields["message"] = msg
    return fields


def parse_json(text: str, origin: Origin) -> Fields:
    escaped = has_escapes(text)
    return exactly(
        lambda exact: fields_from_object(load_object(text, exact), origin, escaped, exact)
    )
