"""Zeek log fields with an ECS home, per log (conn, dns, http, ssl, files).

Each log has a table ``zeek field -> (ECS field, kind)``; a value of the wrong JSON type is
left out (the raw ``hanoi.zeek.*`` copy keeps it), so a hostile line cannot put text in a
numeric field. A log's ``finish`` function adds what a table cannot say (categories, outcome,
decoded URL parts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.parse.access import decode_url_part
from ingest.parse.base import Fields

Record = dict[str, Any]
TEXT, INT, NUMBER, FLAG, TEXTS = "text", "int", "number", "flag", "texts"
Table = dict[str, tuple[str, str]]
_MAX_TEXT = 8192
_MAX_ITEMS = 100


def _convert(value: Any, kind: str) -> Any:
    if kind == TEXT:
        return value[:_MAX_TEXT] if isinstance(value, str) and value not in ("", "-") else None
    if kind == INT:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
        return value if ok else None
    if kind == NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return value if ok else None
    if kind == FLAG:
        return value if isinstance(value, bool) else None
    if isinstance(value, list):  # TEXTS
        items = [str(item)[:_MAX_TEXT] for item in value[:_MAX_ITEMS] if isinstance(item, str)]
        return items or None
    return None


def put_ecs(fields: Fields, record: Record, table: Table) -> None:
    for key, (target, kind) in table.items():
        if key in record and (value := _convert(record[key], kind)) is not None:
            fields[target] = value


@dataclass(frozen=True, slots=True)
class LogMapping:
    fields: Table
    finish: Callable[[Fields, Record], None]


COMMON_ECS: Table = {"community_id": ("network.community_id", TEXT)}


def _conn(fields: Fields, record: Record) -> None:
    fields["event.type"] = ["connection"]
    if isinstance(duration := record.get("duration"), int | float) and duration >= 0:
        fields["event.duration"] = int(duration * 1_000_000_000)
    state = record.get("conn_state")
    # REJ: refused; S0: no answer to the SYN; SF/S1-S3/RSTO...: a connection was made.
    if state in ("REJ", "S0"):
        fields["event.outcome"] = "failure"
    elif isinstance(state, str):
        fields["event.outcome"] = "success"


def _dns(fields: Fields, record: Record) -> None:
    fields["event.type"] = ["protocol"]
    fields["network.protocol"] = "dns"
    fields["dns.type"] = "answer" if "rcode" in record else "query"
    if isinstance(name := fields.get("dns.question.name"), str):
        fields["dns.question.name"] = name.rstrip(".") or "."
    flags = [flag for flag in ("AA", "TC", "RD", "RA") if record.get(flag) is True]
    if flags:
        fields["dns.header_flags"] = flags
    rcode = fields.get("dns.response_code")
    if isinstance(rcode, str):
        fields["event.outcome"] = "success" if rcode == "NOERROR" else "failure"


def _http(fields: Fields, record: Record) -> None:
    fields["event.category"] = ["network", "web"]
    fields["event.type"] = ["access", "protocol"]
    fields["network.protocol"] = "http"
    uri = fields.get("url.original")
    if isinstance(uri, str):
        path, mark, query = uri.partition("?")
        fields["url.path"] = decode_url_part(path, plus_is_space=False)
        if mark:
            fields["url.query"] = decode_url_part(query, plus_is_space=True)
        last = path.rpartition("/")[2]
        if "." in last:
            fields["url.extension"] = last.rpartition(".")[2].lower()[:16]
    if isinstance(method := fields.get("http.request.method"), str):
        fields["http.request.method"] = method.upper()
    if isinstance(code := fields.get("http.response.status_code"), int):
        fields["event.outcome"] = "failure" if code >= 400 else "success"


# Zeek writes "TLSv12", "TLSv13", "SSLv3", "DTLSv12": ECS wants "tls"/"1.2".
def _tls_version(text: str) -> tuple[str, str] | None:
    for protocol in ("DTLS", "TLS", "SSL"):
        if text.startswith(protocol + "v") and text[len(protocol) + 1 :].isdigit():
            digits = text[len(protocol) + 1 :]
            return protocol.lower(), f"{digits[0]}.{digits[1:] or '0'}"
    return None


def _ssl(fields: Fields, record: Record) -> None:
    fields["event.type"] = ["protocol"]
    fields["network.protocol"] = "tls"
    if isinstance(version := record.get("version"), str) and (parsed := _tls_version(version)):
        fields["tls.version_protocol"], fields["tls.version"] = parsed
    if isinstance(name := fields.get("tls.client.server_name"), str):
        fields["destination.domain"] = name
    if isinstance(established := record.get("established"), bool):
        fields["event.outcome"] = "success" if established else "failure"


def _files(fields: Fields, record: Record) -> None:
    fields["event.category"] = ["file", "network"]
    fields["event.type"] = ["info"]


ECS_BY_PATH: dict[str, LogMapping] = {
    "conn": LogMapping(
        {
            "service": ("network.protocol", TEXT),
            "orig_bytes": ("source.bytes", INT),
            "resp_bytes": ("destination.bytes", INT),
            "orig_pkts": ("source.packets", INT),
            "resp_pkts": ("destination.packets", INT),
            "conn_state": ("event.action", TEXT),
        },
        _conn,
    ),
    "dns": LogMapping(
        {
            "query": ("dns.question.name", TEXT),
            "qtype_name": ("dns.question.type", TEXT),
            "qclass_name": ("dns.question.class", TEXT),
            "rcode_name": ("dns.response_code", TEXT),
            "trans_id": ("dns.id", INT),
            "answers": ("dns.answers.data", TEXTS),
        },
        _dns,
    ),
    "http": LogMapping(
        {
            "method": ("http.request.method", TEXT),
            "host": ("url.domain", TEXT),
            "uri": ("url.original", TEXT),
            "referrer": ("http.request.referrer", TEXT),
            "version": ("http.version", TEXT),
            "user_agent": ("user_agent.original", TEXT),
            "request_body_len": ("http.request.body.bytes", INT),
            "response_body_len": ("http.response.body.bytes", INT),
            "status_code": ("http.response.status_code", INT),
            "username": ("user.name", TEXT),
        },
        _http,
    ),
    "ssl": LogMapping(
        {
            "cipher": ("tls.cipher", TEXT),
            "curve": ("tls.curve", TEXT),
            "server_name": ("tls.client.server_name", TEXT),
            "resumed": ("tls.resumed", FLAG),
            "established": ("tls.established", FLAG),
            "next_protocol": ("tls.next_protocol", TEXT),
            "subject": ("tls.server.subject", TEXT),
            "issuer": ("tls.server.issuer", TEXT),
            "ja3": ("tls.client.ja3", TEXT),
            "ja3s": ("tls.server.ja3s", TEXT),
        },
        _ssl,
    ),
    "files": LogMapping(
        {
            "mime_type": ("file.mime_type", TEXT),
            "filename": ("file.name", TEXT),
            "total_bytes": ("file.size", INT),
            "md5": ("file.hash.md5", TEXT),
            "sha1": ("file.hash.sha1", TEXT),
            "sha256": ("file.hash.sha256", TEXT),
        },
        _files,
    ),
}
