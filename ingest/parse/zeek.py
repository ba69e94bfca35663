"""Zeek logs written as JSON (``LogAscii::use_json = T``, or the json-streaming-logs package).

One object per line, Zeek's own field names (``id.orig_h``, ``query``, ``uri`` ...)::

    {"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76",
     "id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp",
     "query":"testmyids.com","qtype_name":"A","rcode_name":"NOERROR","answers":["31.3.245.133"]}

Which log a line comes from (``zeek.<path>``): the source's configured ``dataset`` (a file
source reading ``dns.log`` says ``dataset: zeek.dns``), else the line's ``_path`` (streaming
logs carry it), else the fields only one log has. Every Zeek field is kept under
``hanoi.zeek.<path>.<field>``; the ones with an ECS home are copied there too.
"""

from __future__ import annotations

import re
from typing import Any

from canhgac.errors import ParseError
from canhgac.text import dumps
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_address, transport
from ingest.parse.jsonlog import load_object
from ingest.parse.timestamps import any_time, zone_of
from ingest.parse.zeek_ecs import COMMON_ECS, ECS_BY_PATH, put_ecs

MAX_KEYS = 512
MAX_LIST = 100
MAX_KEY_CHARS = 128
_PATH = re.compile(r"[a-z0-9_]{1,32}")
# Fields that only one log writes, for a line that does not say which log it is.
_SIGNATURES = (
    ("conn_state", "conn"),
    ("qtype_name", "dns"),
    ("query", "dns"),
    ("status_code", "http"),
    ("uri", "http"),
    ("fuid", "files"),
    ("server_name", "ssl"),
    ("cipher", "ssl"),
)


def _path_of(record: dict[str, Any], origin: Origin) -> str:
    if origin.dataset and origin.dataset.startswith("zeek."):
        return origin.dataset[5:]
    path = record.get("_path")
    if isinstance(path, str):
        if not _PATH.fullmatch(path):
            raise ParseError("Zeek _path is not a log name ([a-z0-9_], at most 32)")
        return path
    for key, name in _SIGNATURES:
        if key in record:
            return name
    return "unknown"


def _value(value: Any) -> Any:
    """A JSON value as a field: scalars as they are, a list of scalars (capped), anything
    else as its JSON text (Zeek writes neither objects nor nested lists)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return value[:MAX_LIST]
    return dumps(value)[:4096]


def _raw(fields: Fields, record: dict[str, Any], prefix: str) -> None:
    if len(record) > MAX_KEYS:
        raise ParseError(f"Zeek record has more than {MAX_KEYS} fields")
    for key, value in record.items():
        if len(key) > MAX_KEY_CHARS or not key.isprintable():
            raise ParseError("Zeek field name too long or not printable")
        if value is not None and key != "_path":
            fields[prefix + key] = _value(value)


def _common(fields: Fields, record: dict[str, Any], origin: Origin) -> None:
    when = any_time(record.get("ts"), zone_of(origin)) if "ts" in record else None
    if when is not None:
        fields["@timestamp"] = when
    elif "ts" in record:
        fields["event.timestamp_fallback"] = True
    for key, side in (("id.orig_h", "source"), ("id.resp_h", "destination")):
        if isinstance(host := record.get(key), str):
            put_address(fields, side, host)
    for key, target in (("id.orig_p", "source.port"), ("id.resp_p", "destination.port")):
        port = record.get(key)
        if isinstance(port, int) and not isinstance(port, bool) and 0 <= port < 65536:
            fields[target] = port
    if isinstance(proto := record.get("proto"), str):
        fields["network.transport"] = transport(proto)
    if isinstance(uid := record.get("uid"), str):
        fields["event.id"] = uid[:64]


def parse_zeek(text: str, origin: Origin) -> Fields:
    record = load_object(text)
    path = _path_of(record, origin)
    fields: Fields = {
        "event.dataset": origin.dataset or f"zeek.{path}",
        "event.module": "zeek",
        "event.kind": "event",
        "event.category": ["network"],
        "event.type": ["info"],
        "observer.vendor": "Zeek",
        "observer.product": "Zeek",
        "observer.type": "ids",
    }
    _raw(fields, record, f"hanoi.zeek.{path}.")
    _common(fields, record, origin)
    put_ecs(fields, record, COMMON_ECS)
    if (mapping := ECS_BY_PATH.get(path)) is not None:
        put_ecs(fields, record, mapping.fields)
        mapping.finish(fields, record)
    return fields
