"""Palo Alto Networks PAN-OS syslog, default (CSV) format: TRAFFIC and THREAT logs.

``<14>Mar  5 14:02:11 PA-HN-01 1,2024/03/05 14:02:11,012801012345,TRAFFIC,end,2560,
2024/03/05 14:02:11,10.20.3.41,203.0.113.10,…,allow-web,,,ssl,vsys1,trust,untrust,…`` (one
line). The column order is PAN-OS's documented one (Syslog Field Descriptions), shared by
both types up to the action; other log types (SYSTEM, CONFIG, …) keep their columns by
position only. Every named column is kept under ``hanoi.panos.<name>``.
"""

from __future__ import annotations

import csv
from datetime import datetime

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_address, put_text
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import local, zone_of

DATASET = "panos.panos"
_PREFIX = "hanoi.panos."
MAX_COLUMNS = 160
_COMMON = (
    "future_use1", "receive_time", "serial", "type", "subtype", "future_use2",
    "generated_time", "src", "dst", "natsrc", "natdst", "rule", "srcuser", "dstuser", "app",
    "vsys", "from_zone", "to_zone", "inbound_if", "outbound_if", "log_action", "future_use3",
    "session_id", "repeat_count", "sport", "dport", "natsport", "natdport", "flags", "proto",
    "action",
)  # fmt: skip
_COLUMNS = {
    "TRAFFIC": _COMMON + (
        "bytes", "bytes_sent", "bytes_received", "packets", "start", "elapsed", "category",
        "future_use4", "seqno", "action_flags", "srcloc", "dstloc", "future_use5",
        "pkts_sent", "pkts_received", "session_end_reason",
    ),
    "THREAT": _COMMON + (
        "misc", "threat_id", "category", "severity", "direction", "seqno", "action_flags",
        "srcloc", "dstloc", "future_use4", "content_type", "pcap_id", "file_digest", "cloud",
        "url_idx", "user_agent", "file_type", "xff", "referer", "sender", "subject",
        "recipient", "report_id",
    ),
}  # fmt: skip
_ALLOWED = frozenset(("allow", "alert", "continue", "override"))
_INTS = {"sport": "source.port", "dport": "destination.port", "bytes": "network.bytes",
         "bytes_sent": "source.bytes", "bytes_received": "destination.bytes",
         "packets": "network.packets", "pkts_sent": "source.packets",
         "pkts_received": "destination.packets"}  # fmt: skip
_TEXTS = {"rule": "rule.name", "srcuser": "source.user.name", "dstuser": "destination.user.name",
          "app": "network.application", "from_zone": "observer.ingress.zone",
          "to_zone": "observer.egress.zone", "inbound_if": "observer.ingress.interface.name",
          "outbound_if": "observer.egress.interface.name", "serial": "observer.serial_number",
          "session_id": "network.session_id" , "user_agent": "user_agent.original",
          "referer": "http.request.referrer"}  # fmt: skip


def _time(text: str, origin: Origin) -> str | None:
    try:
        return local(datetime.strptime(text, "%Y/%m/%d %H:%M:%S"), zone_of(origin))
    except ValueError:
        return None


def _columns(text: str) -> list[str]:
    # csv is linear and handles PAN-OS's quoted columns (URLs, user agents with commas).
    row = next(csv.reader([text]), [])
    if len(row) > MAX_COLUMNS:
        raise ParseError(f"PAN-OS record has more than {MAX_COLUMNS} columns")
    return row


def _ecs(fields: Fields, values: dict[str, str], origin: Origin) -> None:
    for key, side in (("src", "source"), ("dst", "destination"), ("natsrc", "source.nat"),
                      ("natdst", "destination.nat")):  # fmt: skip
        if values.get(key) != "0.0.0.0":  # PAN-OS writes 0.0.0.0 for "no NAT"
            put_address(fields, side, values.get(key))
    for key, target in _INTS.items():
        value = values.get(key, "")
        if value.isdigit() and value.isascii() and len(value) < 19:
            fields[target] = int(value)
    for key, target in _TEXTS.items():
        put_text(fields, target, values.get(key))
    put_text(fields, "network.transport", values.get("proto", "").lower() or None)
    if action := values.get("action"):
        fields["event.action"] = action
        allowed = action in _ALLOWED
        fields["event.outcome"] = "success" if allowed else "failure"
        fields["event.type"] = ["connection", "allowed" if allowed else "denied"]
    when = _time(values.get("generated_time", ""), origin)
    if when is not None:
        fields["@timestamp"] = when
    elif "@timestamp" not in fields:
        fields["event.timestamp_fallback"] = True


def parse_paloalto(text: str, origin: Origin) -> Fields:
    header = match_syslog(text, origin) if text[:1] == "<" or not text[:1].isdigit() else None
    body = str(header.pop("message", "")) if header else text
    fields: Fields = {
        k: v
        for k, v in (header or {}).items()
        if not k.startswith(("event.", "process.", "log.syslog.appname"))
    }
    row = _columns(body)
    kind = row[3] if len(row) > 6 else ""
    if not kind.isupper() or not kind.isalpha() or not row[2].isdigit():
        raise ParseError("not a PAN-OS CSV record (serial, TYPE, subtype in columns 3-5)")
    names = _COLUMNS.get(kind, _COMMON[:7])
    values = dict(zip(names, row, strict=False))
    for name, value in values.items():
        if value and not name.startswith("future_use"):
            fields[_PREFIX + name] = value
    fields.update({
        "event.dataset": origin.dataset or DATASET,
        "event.module": "panos",
        "event.kind": "alert" if kind == "THREAT" else "event",
        "event.category": ["network", "intrusion_detection"] if kind == "THREAT" else ["network"],
        "event.type": ["info"],
        "observer.vendor": "Palo Alto Networks",
        "observer.product": "PAN-OS",
        "observer.type": "firewall",
    })  # fmt: skip
    if kind in _COLUMNS:
        _ecs(fields, values, origin)
    else:
        when = _time(values.get("generated_time", ""), origin)
        if when is not None:
            fields["@timestamp"] = when
    return fields
