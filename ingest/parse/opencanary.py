"""OpenCanary honeypot events: one JSON object per line (its file handler), or the same JSON
behind a syslog header (its SysLogHandler)::

    {"dst_host": "10.20.9.10", "dst_port": 22, "local_time": "2024-03-05 07:02:11.482311",
     "logdata": {"USERNAME": "root", "PASSWORD": "123456", "REMOTEVERSION": "SSH-2.0-libssh"},
     "logtype": 4002, "node_id": "canary-ubnd-01", "src_host": "203.0.113.7", "src_port": 52411,
     "utc_time": "2024-03-05 07:02:11.482320"}

``logtype`` says what happened (4002: an SSH login attempt, 5001: a port scan SYN ...).
Anyone touching a honeypot is suspect, so every event but the canary's own housekeeping
(logtype below 2000) is an ``alert``. The raw event is kept under ``hanoi.opencanary.*``.
"""

from __future__ import annotations

from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import flatten, has_escapes, load_object
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import iso8601

DATASET = "opencanary.events"
_PREFIX = "hanoi.opencanary."
# The codes of opencanary/logger.py (LoggerBase), named as event.action.
ACTIONS = {
    1000: "canary-boot", 1001: "canary-message", 1002: "canary-debug", 1003: "canary-error",
    1004: "canary-ping", 1005: "canary-config-save", 1006: "canary-example",
    2000: "ftp-login-attempt", 3000: "http-get", 3001: "http-login-attempt",
    4000: "ssh-new-connection", 4001: "ssh-remote-version-sent", 4002: "ssh-login-attempt",
    5000: "smb-file-open", 5001: "port-syn", 5002: "port-nmap-os", 5003: "port-nmap-null",
    5004: "port-nmap-xmas", 5005: "port-nmap-fin", 6001: "telnet-login-attempt",
    7001: "httpproxy-login-attempt", 8001: "mysql-login-attempt",
    9001: "mssql-login-sqlauth", 9002: "mssql-login-winauth", 9003: "tftp",
    10001: "ntp-monlist", 11001: "vnc", 12001: "snmp-cmd", 13001: "rdp",
    14001: "sip-request", 15001: "git-clone-request", 16001: "redis-command",
    17001: "tcp-banner", 18001: "llmnr-query-response",
}  # fmt: skip
_HOUSEKEEPING_BELOW = 2000


def _record(text: str, origin: Origin) -> tuple[Fields, dict[str, Any]]:
    if text[:1] == "{":
        return {}, load_object(text)
    header = match_syslog(text, origin)
    message = str(header.get("message", "")) if header else ""
    start = message.find("{")
    if header is None or start < 0:
        raise ParseError("not an OpenCanary event (a JSON object, bare or behind syslog)")
    header.pop("message", None)
    return header, load_object(message[start:])


def _port(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 65536
    return value if ok else None


def _categorise(fields: Fields, logtype: int) -> None:
    action = ACTIONS.get(logtype, f"logtype-{logtype}")
    fields["event.action"] = action
    if logtype < _HOUSEKEEPING_BELOW:
        fields["event.kind"] = "event"
        fields["event.category"] = ["host"]
        fields["event.type"] = ["info"]
        return
    fields["event.kind"] = "alert"
    fields["event.category"] = ["intrusion_detection", "network"]
    fields["event.type"] = ["info"]
    if "login" in action:
        fields["event.category"].append("authentication")
        fields["event.type"] = ["info", "start"]
        fields["event.outcome"] = "failure"  # a honeypot never lets anyone in


def parse_opencanary(text: str, origin: Origin) -> Fields:
    fields, record = _record(text, origin)
    logtype = record.get("logtype")
    if not isinstance(logtype, int) or isinstance(logtype, bool):
        raise ParseError("not an OpenCanary event: no integer logtype")
    fields.update(flatten(record, prefix=_PREFIX, escaped=has_escapes(text)))
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "opencanary"
    fields["event.code"] = str(logtype)
    fields["observer.vendor"] = "Thinkst"
    fields["observer.product"] = "OpenCanary"
    fields["observer.type"] = "honeypot"
    _categorise(fields, logtype)
    for key, side in (("src_host", "source"), ("dst_host", "destination")):
        if isinstance(host := record.get(key), str):
            put_address(fields, side, host)
    for key, target in (("src_port", "source.port"), ("dst_port", "destination.port")):
        if (port := _port(record.get(key))) is not None:
            fields[target] = port
    if isinstance(node := record.get("node_id"), str) and node:
        fields["observer.name"] = node[:256]
    logdata = record.get("logdata")
    if isinstance(logdata, dict) and isinstance(user := logdata.get("USERNAME"), str) and user:
        fields["user.name"] = user[:1024]
    # utc_time is UTC without an offset; local_time is the canary's clock, which may drift.
    when = record.get("utc_time")
    stamp = iso8601(when, "UTC") if isinstance(when, str) else None
    if stamp is not None:
        fields["@timestamp"] = stamp
    elif "@timestamp" not in fields:
        fields["event.timestamp_fallback"] = True
    return fields
