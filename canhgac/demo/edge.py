"""The citizen-facing edge: the portal's access log, the FortiGate, the payment/tax apps."""

from __future__ import annotations

import random
from datetime import datetime

from canhgac.demo.catalog import FIREWALL, PORTAL, LinuxHost, port
from canhgac.demo.formats import (
    FACILITY_LOCAL1,
    FACILITY_LOCAL7,
    SEVERITY_ERROR,
    apache_error_over_syslog,
    app_json,
    fortigate,
    nginx_combined,
    nginx_error,
    rfc3164,
)
from canhgac.demo.model import Channel, LogLine

HOME = f"https://{PORTAL}/"

# FortiGate interfaces: port2 is the office LAN, port3 the DMZ of the portal, wan1 the Internet.
LAN = ("port2", "lan")
DMZ = ("port3", "dmz")
WAN = ("wan1", "wan")
SERVICES = {
    443: ("HTTPS", 6),
    80: ("HTTP", 6),
    53: ("DNS", 17),
    88: ("KERBEROS", 6),
    389: ("LDAP", 6),
    22: ("SSH", 6),
    23: ("TELNET", 6),
    445: ("SMB", 6),
    3389: ("RDP", 6),
    5432: ("PostgreSQL", 6),
}


def access(
    now: datetime,
    client: str,
    method: str,
    target: str,
    status: int,
    size: int,
    agent: str,
    referrer: str = "-",
    attack: str | None = None,
) -> LogLine:
    """A line of the portal's nginx access log (the file the instance tails)."""
    text = nginx_combined(now, client, method, target, status, size, referrer, agent)
    return LogLine(Channel.file, text, attack)


def portal_missing_file(
    host: LinuxHost, now: datetime, rng: random.Random, client: str, target: str
) -> LogLine:
    """nginx's error line for a file that is not there, as ``error_log syslog:server=...``
    sends it: nginx's own RFC 3164 header (tag ``nginx``, no pid, facility local7)."""
    worker = rng.randint(900, 1300)
    message = (
        f'open() "/var/www/dichvucong{target}" failed (2: No such file or directory), '
        f'client: {client}, server: {PORTAL}, request: "GET {target} HTTP/1.1", '
        f'host: "{PORTAL}", referrer: "{HOME}"'
    )
    line = nginx_error(now, "error", worker, rng.randint(1, 90_000), message)
    text = rfc3164(now, host.name, "nginx", None, line, FACILITY_LOCAL7, SEVERITY_ERROR)
    return LogLine(Channel.syslog_udp, text)


def app_server_error(
    host: LinuxHost, now: datetime, rng: random.Random, client: str, message: str
) -> LogLine:
    """An Apache 2.4 error (PHP-FPM behind mod_proxy_fcgi) sent with ``ErrorLog syslog:local1``
    and forwarded by the host's rsyslog."""
    worker = rng.randint(2000, 9000)
    text = apache_error_over_syslog(
        "proxy_fcgi", "error", worker, rng.randint(139_000_000, 140_000_000), client, message
    )
    return host.syslog(now, "apache2", worker, text, FACILITY_LOCAL1, SEVERITY_ERROR)


def traffic(
    rng: random.Random,
    now: datetime,
    *,
    source: tuple[str, tuple[str, str]],
    destination: tuple[str, tuple[str, str]],
    dstport: int,
    action: str,
    policy: tuple[int, str],
    attack: str | None = None,
) -> LogLine:
    """A FortiGate forward-traffic record; ``source``/``destination`` are (ip, interface)."""
    (srcip, (srcintf, srcrole)), (dstip, (dstintf, dstrole)) = source, destination
    service, proto = SERVICES.get(dstport, (f"tcp/{dstport}", 6))
    denied = action == "deny"
    pairs: dict[str, str | int] = {
        "logid": "0000000013",
        "type": "traffic",
        "subtype": "forward",
        "level": "warning" if denied else "notice",
        "vd": "root",
        "srcip": srcip,
        "srcport": port(rng),
        "srcintf": srcintf,
        "srcintfrole": srcrole,
        "dstip": dstip,
        "dstport": dstport,
        "dstintf": dstintf,
        "dstintfrole": dstrole,
        "srccountry": _country(srcip),
        "dstcountry": "Reserved",
        "sessionid": rng.randint(10_000_000, 99_999_999),
        "proto": proto,
        "action": action,
        "policyid": policy[0],
        "policytype": "policy",
        "policyname": policy[1],
        "service": service,
        "trandisp": "noop",
        "duration": 0 if denied else rng.randint(1, 180),
        "sentbyte": 0 if denied else rng.randint(400, 90_000),
        "rcvdbyte": 0 if denied else rng.randint(1_000, 900_000),
        "sentpkt": 0 if denied else rng.randint(4, 120),
        "rcvdpkt": 0 if denied else rng.randint(4, 700),
        "appcat": "unscanned",
    }
    if denied:
        pairs["crscore"] = 30
        pairs["craction"] = 131072
        pairs["crlevel"] = "high"
    return LogLine(Channel.syslog_udp, fortigate(now, FIREWALL, pairs), attack)


def _country(address: str) -> str:
    # FortiGuard geolocation: private and documentation ranges are "Reserved".
    reserved = address.startswith(("10.", "192.0.2.", "203.0.113.", "198.51.100."))
    return "Reserved" if reserved else "Vietnam"


def app(now: datetime, service: str, level: str, message: str, **fields: object) -> LogLine:
    """A JSON line of a city application, posted to the HTTP intake."""
    return LogLine(Channel.http, app_json(now, service, level, message, **fields))
