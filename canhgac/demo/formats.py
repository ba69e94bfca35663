"""Wire formats of the city's log producers, as plain functions of their values.

Every function renders one record exactly as the producer writes it, with the producer's own
clock convention: Linux hosts and nginx log Hanoi local time, winlogbeat writes UTC, FortiOS
writes local time plus its ``tz`` and an epoch ``eventtime``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from canhgac.text import dumps
from canhgac.timeutil import DISPLAY_ZONE, to_iso

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Syslog facility codes (RFC 5424 section 6.2.1) and severities the demo uses.
FACILITY_USER = 1
FACILITY_AUTH = 4
FACILITY_CRON = 9
FACILITY_AUTHPRIV = 10
FACILITY_LOCAL1 = 17
FACILITY_LOCAL7 = 23
SEVERITY_ERROR = 3
SEVERITY_WARNING = 4
SEVERITY_NOTICE = 5
SEVERITY_INFO = 6


def local(now: datetime) -> datetime:
    """The moment in Hanoi time, the zone city servers keep their clocks in."""
    return now.astimezone(DISPLAY_ZONE)


def rfc3164(
    now: datetime, host: str, tag: str, pid: int | None, message: str, facility: int, severity: int
) -> str:
    """``<PRI>Mmm dd HH:MM:SS host tag[pid]: message`` (BSD syslog, day space-padded)."""
    moment = local(now)
    stamp = f"{_MONTHS[moment.month - 1]} {moment.day:2d} {moment:%H:%M:%S}"
    process = f"{tag}[{pid}]" if pid is not None else tag
    return f"<{facility * 8 + severity}>{stamp} {host} {process}: {message}"


def rfc5424(
    now: datetime, host: str, app: str, pid: int | None, message: str, facility: int, severity: int
) -> str:
    """``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`` as rsyslog forwards a local message
    with RSYSLOG_SyslogProtocol23Format: ``%msg%`` keeps the space that followed ``tag:``,
    so two spaces follow the structured data's ``-``."""
    stamp = local(now).isoformat(timespec="microseconds")
    procid = str(pid) if pid is not None else "-"
    return f"<{facility * 8 + severity}>1 {stamp} {host} {app} {procid} - -  {message}"


def clf_time(now: datetime) -> str:
    """``27/Nov/2026:10:00:00 +0700``: nginx ``$time_local``."""
    moment = local(now)
    offset = moment.strftime("%z")
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} {offset}"


def nginx_combined(
    now: datetime,
    client: str,
    method: str,
    target: str,
    status: int,
    size: int,
    referrer: str,
    agent: str,
) -> str:
    """nginx's ``combined`` format. nginx escapes ``"`` and ``\\`` in variables as ``\\xHH``."""
    return (
        f'{client} - - [{clf_time(now)}] "{method} {target} HTTP/1.1" {status} {size} '
        f'"{_nginx_escape(referrer)}" "{_nginx_escape(agent)}"'
    )


def _nginx_escape(value: str) -> str:
    return value.replace("\\", "\\x5C").replace('"', "\\x22")


def nginx_error(now: datetime, level: str, pid: int, connection: int, message: str) -> str:
    """An nginx error log line: ``2026/11/27 10:00:00 [error] 1234#1234: *5 message`` (local
    time; nginx runs one thread per worker, so the thread id is the pid)."""
    return f"{local(now):%Y/%m/%d %H:%M:%S} [{level}] {pid}#{pid}: *{connection} {message}"


def apache_error_over_syslog(
    module: str, level: str, pid: int, thread: int, client: str, message: str
) -> str:
    """Apache 2.4's error line as ``ErrorLog syslog:`` sends it: its default ErrorLogFormat
    without the ``[time]``, and ``%a`` written ``ip:port``."""
    return f"[{module}:{level}] [pid {pid}:tid {thread}] [client {client}] {message}"


def audit_record(now: datetime, serial: int, record_type: str, body: str) -> str:
    """``type=T msg=audit(EPOCH.mmm:SERIAL): body`` as auditd writes it."""
    millis = int(now.timestamp() * 1000)
    return f"type={record_type} msg=audit({millis // 1000}.{millis % 1000:03d}:{serial}): {body}"


def audit_hex(text: str) -> str:
    """auditd's encoding of a value holding a space, quote or non-ASCII byte."""
    return text.encode("utf-8").hex().upper()


def fortigate(now: datetime, device: tuple[str, str], pairs: Mapping[str, str | int]) -> str:
    """FortiOS key=value over syslog (``<PRI>`` and no other header, the FortiOS default).

    ``device`` is (devname, devid). Strings are quoted except addresses; numbers are bare, as
    FortiOS writes them.
    """
    moment = local(now)
    micros = round(now.timestamp() * 1_000_000)
    head = (
        f"date={moment:%Y-%m-%d} time={moment:%H:%M:%S} devname={_forti_value(device[0])} "
        f'devid={_forti_value(device[1])} eventtime={micros * 1000} tz="{moment:%z}"'
    )
    body = " ".join(f"{key}={_forti_value(value)}" for key, value in pairs.items())
    return f"<{FACILITY_LOCAL7 * 8 + SEVERITY_NOTICE}>{head} {body}"


def _forti_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def winlogbeat(
    now: datetime,
    *,
    computer: str,
    event_id: int,
    provider: str,
    channel: str,
    record_id: int,
    message: str,
    action: str,
    event_data: Mapping[str, Any] | None = None,
    user_data: Mapping[str, Any] | None = None,
    outcome: str = "success",
) -> str:
    """A Windows event as winlogbeat 8 ships it (``winlog.*`` plus ECS ``event.*``)."""
    short = computer.split(".", 1)[0]
    winlog: dict[str, Any] = {
        "channel": channel,
        "computer_name": computer,
        "event_id": str(event_id),
        "provider_name": provider,
        "record_id": str(record_id),  # a string since winlogbeat 8
        "api": "wineventlog",
        "opcode": "Info",
        "keywords": ["Audit Success" if outcome == "success" else "Audit Failure"],
    }
    if event_data is not None:
        winlog["event_data"] = dict(event_data)
    if user_data is not None:
        winlog["user_data"] = dict(user_data)
    record = {
        "@timestamp": to_iso(now)[:23] + "Z",
        "agent": {"type": "winlogbeat", "version": "8.11.1", "name": short},
        "ecs": {"version": "8.0.0"},
        "host": {"name": short},
        "log": {"level": "information"},
        "event": {
            "code": str(event_id),
            "kind": "event",
            "provider": provider,
            "action": action,
            "outcome": outcome,
            "created": to_iso(now)[:23] + "Z",
        },
        "message": message,
        "winlog": winlog,
    }
    return dumps(record)


def app_json(now: datetime, service: str, level: str, message: str, **fields: Any) -> str:
    """An ECS-logging style application record (dotted top-level keys, local offset)."""
    record: dict[str, Any] = {
        "@timestamp": local(now).isoformat(timespec="milliseconds"),
        "log.level": level,
        "message": message,
        "service.name": service,
        "event.dataset": f"{service}.log",
    }
    record.update(fields)
    return dumps(record)
