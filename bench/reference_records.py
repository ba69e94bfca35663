"""References for records of key=value pairs and JSON: FortiGate, CEF, app JSON, Windows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson
from reference_base import EPOCH, LOCAL, Doc, finish, priority, utc

# --- JSON application logs -------------------------------------------------------------------
ECS_ROOTS = frozenset(("message", "user", "http", "url", "source", "trace"))


def flatten(doc: Doc, prefix: str, value: dict[str, Any]) -> None:
    for key, item in value.items():
        if type(item) is dict:
            flatten(doc, prefix + key + ".", item)
        else:
            doc[prefix + key] = item


def json_log(raw: bytes, source: str) -> bytes:
    record = orjson.loads(raw)
    doc: Doc = {"@timestamp": utc(datetime.fromisoformat(record.pop("@timestamp")))}
    for key, value in record.items():
        prefix = key if key in ECS_ROOTS else "hanoi.app." + key
        if type(value) is dict:
            flatten(doc, prefix + ".", value)
        else:
            doc[prefix] = value
    doc["event.dataset"] = doc["event.module"] = "app"
    return finish(doc, raw.decode(), source)


# --- key=value firewalls and CEF -------------------------------------------------------------
FORTI_PAIR = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')
FORTI_INT = {
    "srcport": "source.port",
    "dstport": "destination.port",
    "transport": "source.nat.port",
    "sentbyte": "source.bytes",
    "rcvdbyte": "destination.bytes",
}
FORTI_TEXT = {
    "srcip": "source.ip",
    "dstip": "destination.ip",
    "transip": "source.nat.ip",
    "devname": "observer.name",
    "devid": "observer.serial_number",
    "srcintf": "observer.ingress.interface.name",
    "dstintf": "observer.egress.interface.name",
    "policyid": "rule.id",
    "srccountry": "source.geo.country_name",
    "dstcountry": "destination.geo.country_name",
}
DENIED = frozenset(("deny", "block", "blocked", "drop", "dropped", "reject", "reset"))
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp"}


def fortigate(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    pri, _, message = text[1:].partition(">")
    doc: Doc = {"event.dataset": "fortinet.firewall", "event.module": "fortinet"}
    priority(doc, pri)
    doc["message"] = message
    doc["event.category"] = "network"
    doc["observer.vendor"] = "Fortinet"
    doc["observer.product"] = "FortiGate"
    doc["observer.type"] = "firewall"
    values = {key: quoted or bare for key, quoted, bare in FORTI_PAIR.findall(message)}
    nanos = int(values["eventtime"])
    doc["@timestamp"] = utc(EPOCH + timedelta(microseconds=nanos // 1000))
    for key, value in values.items():
        doc["fortinet.firewall." + key] = value
    for key, target in FORTI_TEXT.items():
        doc[target] = values[key]
    for key, target in FORTI_INT.items():
        doc[target] = int(values[key])
    doc["network.transport"] = PROTOCOLS[values["proto"]]
    doc["network.protocol"] = values["service"].lower()
    action = doc["event.action"] = values["action"]
    denied = action in DENIED
    doc["event.outcome"] = "failure" if denied else "success"
    doc["event.type"] = ["connection", "denied" if denied else "allowed"]
    return finish(doc, text, source, outcome=None)


CEF = re.compile(
    r"<(\d+)>(\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\S+) CEF:(\d+)\|"
    + r"([^|\\]*(?:\\.[^|\\]*)*)\|" * 6
    + r"(.*)"
)
CEF_KEY = re.compile(r" (\w+)=")
CEF_ESCAPE = re.compile(r"\\(.)")
CEF_TEXT = {
    "suser": "source.user.name",
    "act": "event.action",
    "request": "url.original",
    "requestMethod": "http.request.method",
    "msg": "message",
    "app": "network.protocol",
    "src": "source.ip",
    "dst": "destination.ip",
}
CEF_INT = {"spt": "source.port", "dpt": "destination.port"}


def cef(raw: bytes, source: str) -> bytes:
    text = raw.decode()
    (pri, month, day, clock, host, version, vendor, product, product_version, signature,
     name, severity, rest) = CEF.match(text).groups()  # type: ignore[union-attr]  # fmt: skip
    doc: Doc = {"event.dataset": "cef", "event.module": "cef"}
    priority(doc, pri)
    doc["host.name"] = host
    doc["cef.version"] = version
    doc["observer.vendor"] = vendor
    doc["observer.product"] = product
    doc["observer.version"] = product_version
    doc["event.code"] = signature
    doc["cef.name"] = CEF_ESCAPE.sub(r"\1", name)
    doc["cef.severity"] = severity
    doc["event.severity"] = int(severity)
    parts = CEF_KEY.split(" " + rest)
    values = dict(zip(parts[1::2], parts[2::2], strict=True))
    for key, value in values.items():
        if "\\" in value:
            values[key] = CEF_ESCAPE.sub(r"\1", value)
    for key, value in values.items():
        doc["cef.extensions." + key] = value
    for key, target in CEF_TEXT.items():
        doc[target] = values[key]
    for key, target in CEF_INT.items():
        doc[target] = int(values[key])
    doc["network.transport"] = values["proto"].lower()
    doc["@timestamp"] = utc(EPOCH + timedelta(milliseconds=int(values["rt"])))
    return finish(doc, text, source)


# --- Windows (NXLog's flat JSON) -------------------------------------------------------------
WINLOG = {
    "Hostname": "winlog.computer_name",
    "EventType": "winlog.event_type",
    "SourceName": "winlog.provider_name",
    "ProviderGuid": "winlog.provider_guid",
    "Version": "winlog.version",
    "ProcessID": "winlog.process.pid",
    "ThreadID": "winlog.process.thread.id",
    "Channel": "winlog.channel",
    "Message": "message",
    "Category": "winlog.task",
    "Opcode": "winlog.opcode",
}
WINLOG_TEXT = {"Keywords": "winlog.keywords", "EventID": "winlog.event_id"}
NXLOG = ("EventTime", "SeverityValue", "Severity", "Task", "OpcodeValue", "EventReceivedTime")
NXLOG += ("SourceModuleName", "SourceModuleType")


def windows(raw: bytes, source: str) -> bytes:
    record = orjson.loads(raw)
    doc: Doc = {target: record[key] for key, target in WINLOG.items()}
    for key, target in WINLOG_TEXT.items():
        doc[target] = str(record[key])
    doc["winlog.record_id"] = str(record["RecordNumber"])
    for key in NXLOG:
        doc["hanoi.nxlog." + key] = record[key]
    for key in ("SubjectUserSid", "TargetUserName", "TargetDomainName", "Status", "LogonType"):
        doc["winlog.event_data." + key] = record[key]
    doc["winlog.event_data.IpAddress"] = record["IpAddress"]
    doc["winlog.event_data.IpPort"] = record["IpPort"]
    local = datetime.fromisoformat(record["EventTime"]).replace(tzinfo=LOCAL)
    doc["@timestamp"] = utc(local)
    doc["event.dataset"] = "windows.security"
    doc["event.module"] = "windows"
    doc["event.code"] = doc["winlog.event_id"]
    doc["host.name"] = record["Hostname"]
    doc["user.name"] = record["TargetUserName"]
    doc["user.domain"] = record["TargetDomainName"]
    doc["source.port"] = int(record["IpPort"])
    doc["source.ip"] = record["IpAddress"]
    doc["event.category"] = ["authentication"]
    doc["event.type"] = ["start"]
    doc["event.action"] = "logon-failed"
    doc["event.outcome"] = "failure"
    return finish(doc, raw.decode(), source)
