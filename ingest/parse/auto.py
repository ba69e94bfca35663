"""The ``auto`` parser, used by syslog sources: recognise the format, then parse it.

Order: a JSON object (Windows-shaped ones go to ``windows``), a bare CEF, auditd, FortiGate,
Apache or nginx error log record, a combined/common access log line, then syslog (RFC 5424 or
3164) whose message is handed on to auth, CEF, FortiGate, auditd, Sysmon for Linux, an error
log or an access log parser when it is one of those. Text that fits nothing is
still an event, with dataset ``raw``: plain text is never a dead letter. Only hostile input
(a JSON bomb) is rejected.
"""

from __future__ import annotations

from canhgac.errors import ParseError
from ingest.parse.access import enrich_access_log, match_access
from ingest.parse.auditd import enrich_auditd
from ingest.parse.auth import enrich_auth, is_auth
from ingest.parse.base import Fields, Origin
from ingest.parse.cef import enrich_cef
from ingest.parse.errorlog import enrich_error_log, match_apache_error, match_nginx_error
from ingest.parse.fortigate import enrich_fortigate, looks_like_fortigate
from ingest.parse.jsonlog import (
    exactly,
    fields_from_object,
    has_escapes,
    load_object,
    try_load_object,
)
from ingest.parse.raw import parse_raw
from ingest.parse.syslog import match_syslog
from ingest.parse.sysmon_linux import enrich_sysmon_linux, is_sysmon_linux
from ingest.parse.windows import fields_from_record, is_windows

_AUDIT_STARTS = ("type=", "node=")
_BLANKS = " \t"


def _bare(text: str, origin: Origin) -> Fields | None:
    """Formats recognised from their first characters, without a syslog header."""
    first = text[:1]
    if first == "{":
        return exactly(lambda exact: _json(text, origin, exact))
    if text.startswith("CEF:"):
        return enrich_cef({}, text, origin)
    if text.startswith(_AUDIT_STARTS):
        return enrich_auditd({}, text, origin)
    if first != "<" and looks_like_fortigate(text):
        return enrich_fortigate({}, text, origin)
    if first == "<" and is_sysmon_linux(text):
        return _sysmon_linux({}, text, origin)
    if first == "[":
        return match_apache_error(text, origin)
    if text[4:5] == "/" and first.isdigit():
        return match_nginx_error(text, origin)
    return None


def _json(text: str, origin: Origin, exact: bool) -> Fields | None:
    record = try_load_object(text, exact)
    if record is None:
        return None
    escaped = has_escapes(text)
    if is_windows(record):
        return fields_from_record(record, origin, escaped, exact, text)
    return fields_from_object(record, origin, escaped, exact)


def parse_json_record(text: str, origin: Origin) -> Fields:
    """The ``json`` parser: one JSON object; a Windows event (winlogbeat, NXLog, WEF) posted
    as JSON gets the Windows parser's fields and ECS categorization."""
    escaped = has_escapes(text)

    def build(exact: bool) -> Fields:
        record = load_object(text, exact)
        if is_windows(record):
            return fields_from_record(record, origin, escaped, exact, text)
        return fields_from_object(record, origin, escaped, exact)

    return exactly(build)


def _sysmon_linux(fields: Fields, xml: str, origin: Origin) -> Fields | None:
    """Sysmon's XML event, or None when it is cut or broken (rsyslog truncates long
    messages): the record then stays what it is without it."""
    try:
        return enrich_sysmon_linux(dict(fields), xml, origin)
    except ParseError:
        return None


def _inside_syslog(fields: Fields, origin: Origin) -> Fields:
    """Hand a syslog record's message on to the parser of what it carries."""
    if is_auth(fields):
        return enrich_auth(fields, origin)
    message: str = fields["message"]
    if message.startswith("CEF:"):
        return enrich_cef(fields, message, origin) or fields
    if message.startswith(_AUDIT_STARTS):
        return enrich_auditd(fields, message, origin) or fields
    if looks_like_fortigate(message):
        return enrich_fortigate(fields, message, origin) or fields
    if is_sysmon_linux(message):
        return _sysmon_linux(fields, message, origin) or fields
    return (
        enrich_error_log(fields, message, origin)
        or enrich_access_log(fields, message, origin)
        or fields
    )


def parse_auto(text: str, origin: Origin) -> Fields:
    # A JSON, CEF or auditd record indented by its writer is still one.
    fields = _bare(text.lstrip(_BLANKS) if text[:1] in _BLANKS else text, origin)
    if fields is not None:
        return fields
    if text[:1] != "<" and (fields := match_access(text, origin, "nginx.access")) is not None:
        return fields
    try:
        fields = match_syslog(text, origin)
    except ParseError:
        fields = None  # a broken header (bad PRI, structured data): keep the text as raw
    if fields is not None:
        return _inside_syslog(fields, origin)
    return parse_raw(text, origin)
